package authn

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
)

// Limits of the argon2 queue (README "Limits").
const (
	// argon2QueuePerAddress is how many verifications one client address
	// (IPv6: /64) may have waiting for a slot; past it the login is refused
	// at once (ReasonArgon2Busy).
	argon2QueuePerAddress = 8
	// argon2QueueTotal is how many verifications may wait in all.
	argon2QueueTotal = 4096
)

var errQueueFull = errors.New("authn: argon2 queue full")

// fairQueue hands a fixed number of slots to waiting clients round-robin
// across client addresses, first come first served within one address: a
// flood from many connections of one address, or from many addresses each
// asking once, cannot make another client wait behind all of it.
type fairQueue struct {
	mu       sync.Mutex
	free     int
	waiting  map[netip.Addr][]*waiter
	order    []netip.Addr // addresses with waiters, in turn order
	total    int
	perAddr  int
	maxTotal int
}

type waiter struct {
	ready   chan struct{}
	granted bool // under mu
}

func newFairQueue(slots, perAddr, maxTotal int) *fairQueue {
	return &fairQueue{free: slots, waiting: map[netip.Addr][]*waiter{}, perAddr: perAddr, maxTotal: maxTotal}
}

// acquire waits for a slot for a client at address k (a clientKey). It
// fails at once with errQueueFull when k already has perAddr waiters.
func (q *fairQueue) acquire(ctx context.Context, k netip.Addr) error {
	q.mu.Lock()
	if q.free > 0 && q.total == 0 {
		q.free--
		q.mu.Unlock()
		return nil
	}
	ws := q.waiting[k]
	if len(ws) >= q.perAddr || q.total >= q.maxTotal {
		q.mu.Unlock()
		return errQueueFull
	}
	w := &waiter{ready: make(chan struct{})}
	if len(ws) == 0 {
		q.order = append(q.order, k)
	}
	q.waiting[k] = append(ws, w)
	q.total++
	q.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	if w.granted { // the slot came as the context ended: pass it on
		q.mu.Unlock()
		q.release()
		return ctx.Err()
	}
	ws = q.waiting[k]
	ws = slices.DeleteFunc(ws, func(x *waiter) bool { return x == w })
	q.total--
	if len(ws) == 0 {
		delete(q.waiting, k)
		q.order = slices.DeleteFunc(q.order, func(a netip.Addr) bool { return a == k })
	} else {
		q.waiting[k] = ws
	}
	q.mu.Unlock()
	return ctx.Err()
}

// release gives the slot to the first waiter of the next address in turn,
// or frees it.
func (q *fairQueue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) == 0 {
		q.free++
		return
	}
	k := q.order[0]
	q.order = q.order[1:]
	ws := q.waiting[k]
	w := ws[0]
	ws[0] = nil
	ws = ws[1:]
	q.total--
	if len(ws) == 0 {
		delete(q.waiting, k)
	} else {
		q.waiting[k] = ws
		q.order = append(q.order, k)
	}
	w.granted = true
	close(w.ready)
}

// waiters is how many verifications are waiting.
func (q *fairQueue) waiters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}
