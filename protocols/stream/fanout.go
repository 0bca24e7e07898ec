package stream

import (
	"sync"
	"sync/atomic"
)

// Fanout is the one hub sink of a publication that feeds every reader of
// one listener kind (RTMP players, WebRTC sessions). Each reader has its own
// bounded queue: a full queue drops the unit for that reader only, which
// then waits for the next keyframe; nobody else waits.
type Fanout struct {
	mu      sync.Mutex
	readers map[*Reader]struct{}
	closed  bool
}

// Reader is one reader's queue as a Fanout sees it.
type Reader struct {
	// Queue delivers the units; it is closed when the publication ends.
	Queue   chan *Unit
	dropped atomic.Bool
	onDrop  func()
}

// NewReader makes a reader whose queue holds size units; onDrop (may be
// nil) runs at each unit dropped because the queue was full.
func NewReader(size int, onDrop func()) *Reader {
	return &Reader{Queue: make(chan *Unit, max(1, size)), onDrop: onDrop}
}

// Dropped reports whether a unit was dropped since the last call: the
// reader must resynchronise at the next keyframe.
func (r *Reader) Dropped() bool { return r.dropped.Swap(false) }

// fanoutMu makes creating the fan-out of a publication atomic.
var fanoutMu sync.Mutex

// FanoutOf returns the fan-out of kind ("rtmp", "webrtc") of p, creating it
// and its hub sink (a queue of sinkQueue units) for the first reader.
func FanoutOf(p *Publication, kind string, sinkQueue int) *Fanout {
	key := kind + "-fanout"
	fanoutMu.Lock()
	defer fanoutMu.Unlock()
	if f, ok := p.Attached(key).(*Fanout); ok {
		return f
	}
	f := &Fanout{readers: map[*Reader]struct{}{}}
	p.Attach(key, f)
	p.AddSink(kind, sinkQueue, f.push, f.close)
	return f
}

// Add registers r; false when the publication has ended.
func (f *Fanout) Add(r *Reader) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.readers[r] = struct{}{}
	return true
}

// Remove forgets r (a reader that left).
func (f *Fanout) Remove(r *Reader) {
	f.mu.Lock()
	delete(f.readers, r)
	f.mu.Unlock()
}

// push hands u to every reader without waiting.
func (f *Fanout) push(u *Unit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for r := range f.readers {
		select {
		case r.Queue <- u:
		default:
			r.dropped.Store(true)
			if r.onDrop != nil {
				r.onDrop()
			}
		}
	}
}

// close ends every reader's queue: the publication is over.
func (f *Fanout) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for r := range f.readers {
		close(r.Queue)
	}
	f.readers = map[*Reader]struct{}{}
}
