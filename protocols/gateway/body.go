package gateway

import (
	"errors"
	"io"
	"sync/atomic"
)

// errBusy: the bodies in flight hold the whole budget (503, Retry-After).
var errBusy = errors.New("gateway: the bodies in flight hold the whole memory budget")

// budget counts the bytes of buffer capacity that request bodies hold.
type budget struct{ used atomic.Int64 }

// charger is the budget as a body sees it (Handler: budget plus metrics).
type charger interface {
	take(n int64) bool
	give(n int64)
}

// take charges n bytes, or nothing and false when that would pass limit.
func (b *budget) take(n, limit int64) bool {
	if b.used.Add(n) > limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *budget) give(n int64) { b.used.Add(-n) }

// firstChunk is the capacity a body without a recycled buffer starts with;
// a buffer then doubles as bytes arrive.
const firstChunk = 32 << 10

// body is one request's buffer and what it is charged to the budget.
type body struct {
	buf     []byte
	charged int64
}

// read reads r into b.buf. The buffer grows with the bytes that arrive —
// never to the size a client declares before sending it — up to bound (the
// declared Content-Length, or the size limit + 1 so that a larger body is
// seen), and every growth is charged to bg before it is allocated: errBusy
// when the budget has no room.
func (b *body) read(r io.Reader, bound int64, bg charger) error {
	b.buf = getBuffer()
	if !bg.take(int64(cap(b.buf))) {
		b.buf = nil // left to the GC: a smaller buffer may still fit
	}
	b.charged = int64(cap(b.buf))
	for int64(len(b.buf)) < bound {
		if len(b.buf) == cap(b.buf) {
			size := min(max(2*int64(cap(b.buf)), firstChunk), bound)
			if !bg.take(size) {
				return errBusy
			}
			grown := make([]byte, len(b.buf), size)
			copy(grown, b.buf)
			bg.give(b.charged)
			b.buf, b.charged = grown, size
		}
		n, err := r.Read(b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// release gives the buffer back to the budget, and to the free list when
// reuse says nothing else holds it.
func (b *body) release(bg charger, reuse bool) {
	bg.give(b.charged)
	if reuse && b.buf != nil {
		putBuffer(b.buf)
	}
	b.buf, b.charged = nil, 0
}

// Request bodies are recycled through a free list rather than a sync.Pool:
// a pool is emptied by every other garbage collection, and a stream of
// 100 KB frames allocates enough (here or in a subscriber sharing the
// process) to collect often, so each request would allocate, zero and fault
// in a fresh buffer. Send returns only once the writer has handed the bytes
// to libzmq (which copies them), so a buffer is free again after it.
// Buffers on the list are not charged to the budget: at most
// keptBuffers × keptBufferCap bytes (32 MiB) wait there.
const (
	keptBuffers   = 32      // one per concurrent request, roughly
	keptBufferCap = 1 << 20 // larger bodies (big keyframes) are left to the GC
)

var freeBuffers = make(chan []byte, keptBuffers)

func getBuffer() []byte {
	select {
	case b := <-freeBuffers:
		return b
	default:
		return nil
	}
}

func putBuffer(b []byte) {
	if cap(b) > keptBufferCap || cap(b) == 0 {
		return
	}
	select {
	case freeBuffers <- b[:0]:
	default:
	}
}
