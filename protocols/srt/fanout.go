package srt

import (
	"sync"

	"github.com/streamgate/streamgate/protocols/stream"
)

// fanout is a publication's SRT output: one hub sink muxes the units to
// MPEG-TS once, and every SRT reader gets the chunks through its own
// bounded queue, starting at a keyframe. A reader whose queue is full loses
// chunks until the next keyframe (counted); it never holds up the others.
// While there are no readers nothing is muxed.
type fanout struct {
	pub     *stream.Publication
	metrics *metrics

	mu      sync.Mutex
	readers map[*outReader]struct{}
	mux     *muxer
}

// outReader is one reader's queue.
type outReader struct {
	ch     chan []byte
	synced bool // has started at a keyframe and lost nothing since
}

// readerQueue is how many chunks (about one unit each) a reader may lag.
const readerQueue = 512

func attachFanout(p *stream.Publication, key string, m *metrics) *fanout {
	f := &fanout{pub: p, metrics: m, readers: map[*outReader]struct{}{}}
	p.Attach(key, f)
	p.AddSink("srt", 1024, f.consume, nil)
	return f
}

func (f *fanout) add() *outReader {
	r := &outReader{ch: make(chan []byte, readerQueue)}
	f.mu.Lock()
	f.readers[r] = struct{}{}
	f.mu.Unlock()
	return r
}

// remove forgets r and closes its queue.
func (f *fanout) remove(r *outReader) {
	f.mu.Lock()
	if _, ok := f.readers[r]; ok {
		delete(f.readers, r)
		close(r.ch)
	}
	f.mu.Unlock()
}

func (f *fanout) consume(u *stream.Unit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.readers) == 0 {
		f.mux = nil // start afresh, at a keyframe, for the next reader
		return
	}
	if f.mux == nil {
		m, err := newMuxer(f.pub.Desc)
		if err != nil {
			return
		}
		f.mux = m
	}
	chunk, join, err := f.mux.write(u)
	if err != nil {
		f.metrics.muxErrors.Inc()
		return
	}
	if chunk == nil {
		return
	}
	for r := range f.readers {
		if !r.synced {
			if !join {
				continue
			}
			r.synced = true
		}
		select {
		case r.ch <- chunk:
		default:
			r.synced = false
			f.metrics.dropped.Inc()
		}
	}
}
