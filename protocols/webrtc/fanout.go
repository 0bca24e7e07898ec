package webrtc

import (
	"sync"
	"sync/atomic"

	"github.com/streamgate/streamgate/protocols/stream"
)

// fanout is the one hub sink of a publication that feeds all its WebRTC
// sessions. Each session has its own bounded queue: a full queue drops the
// unit for that session only, which then waits for the next IDR; nobody
// else waits.
type fanout struct {
	mu      sync.Mutex
	readers map[*reader]struct{}
	closed  bool
}

// reader is one session as the fan-out sees it.
type reader struct {
	queue   chan *stream.Unit // closed when the publication ends
	dropped atomic.Bool       // a unit was dropped since the session last looked
	metrics *metrics
}

// readerQueue is how many units a session may lag behind the publisher.
const readerQueue = 512

const fanoutKey = "webrtc-fanout"

// fanoutMu makes creating the fan-out of a publication atomic.
var fanoutMu sync.Mutex

// fanoutOf returns the fan-out of p, creating it (and its hub sink) for the
// first WebRTC session.
func fanoutOf(p *stream.Publication) *fanout {
	fanoutMu.Lock()
	defer fanoutMu.Unlock()
	if f, ok := p.Attached(fanoutKey).(*fanout); ok {
		return f
	}
	f := &fanout{readers: map[*reader]struct{}{}}
	p.Attach(fanoutKey, f)
	p.AddSink("webrtc", 1024, f.push, f.close)
	return f
}

// add registers r; false when the publication has ended.
func (f *fanout) add(r *reader) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.readers[r] = struct{}{}
	return true
}

func (f *fanout) remove(r *reader) {
	f.mu.Lock()
	delete(f.readers, r)
	f.mu.Unlock()
}

// push hands u to every session without waiting.
func (f *fanout) push(u *stream.Unit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for r := range f.readers {
		select {
		case r.queue <- u:
		default:
			r.dropped.Store(true)
			r.metrics.dropped.Inc()
		}
	}
}

// close ends every session's queue: the publication is over.
func (f *fanout) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for r := range f.readers {
		close(r.queue)
	}
	f.readers = map[*reader]struct{}{}
}
