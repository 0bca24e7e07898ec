package rtmp

import (
	"sync"
	"sync/atomic"

	"github.com/streamgate/streamgate/protocols/stream"
)

// fanout is the one hub sink of a publication that feeds all its RTMP
// readers (those of the rtmp and the rtmps listener alike). Each reader has
// its own bounded queue: a full queue drops the unit for that reader only,
// which then waits for the next keyframe; nobody else waits.
type fanout struct {
	metrics *Metrics

	mu      sync.Mutex
	readers map[*reader]struct{}
	closed  bool
}

// reader is one playing connection as the fan-out sees it.
type reader struct {
	queue   chan *stream.Unit // closed when the publication ends
	dropped atomic.Bool       // a unit was dropped since the reader last looked
}

const fanoutKey = "rtmp-fanout"

// fanoutMu makes creating the fan-out of a publication atomic.
var fanoutMu sync.Mutex

// fanoutOf returns the fan-out of p, creating it (and its hub sink) for the
// first RTMP reader.
func fanoutOf(p *stream.Publication, m *Metrics) *fanout {
	fanoutMu.Lock()
	defer fanoutMu.Unlock()
	if f, ok := p.Attached(fanoutKey).(*fanout); ok {
		return f
	}
	f := &fanout{metrics: m, readers: map[*reader]struct{}{}}
	p.Attach(fanoutKey, f)
	p.AddSink("rtmp", 1024, f.push, f.close)
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

// push hands u to every reader without waiting.
func (f *fanout) push(u *stream.Unit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for r := range f.readers {
		select {
		case r.queue <- u:
		default:
			r.dropped.Store(true)
			f.metrics.dropped.Inc()
		}
	}
}

// close ends every reader's queue: the publication is over.
func (f *fanout) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for r := range f.readers {
		close(r.queue)
	}
	f.readers = map[*reader]struct{}{}
}
