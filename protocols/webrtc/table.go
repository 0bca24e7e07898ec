package webrtc

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// peer is what a table holds: a WHEP session or a WHIP publisher.
type peer interface {
	comparable
	// route is the session's id (the secret in its URL) and its path.
	route() (id, path string)
	// stop ends the session; ended is closed once everything is released.
	stop(reason string)
	ended() <-chan struct{}
}

// table is the server's id → session table of one side, counted in a
// gauge. Once closed it takes no session.
type table[P peer] struct {
	gauge prometheus.Gauge

	mu     sync.Mutex
	items  map[string]P
	closed bool
}

func newTable[P peer](gauge prometheus.Gauge) *table[P] {
	return &table[P]{gauge: gauge, items: map[string]P{}}
}

// add registers a negotiated session; false when the table is closed.
func (t *table[P]) add(p P) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	id, _ := p.route()
	t.items[id] = p
	t.gauge.Inc()
	return true
}

// admit adds p once its offer is answered (negotiation error nil) and
// returns the error that refuses it: the negotiation's, or 503 when the
// table is closed.
func (t *table[P]) admit(p P, negotiation error) error {
	if negotiation != nil {
		return negotiation
	}
	if !t.add(p) {
		return refuse(http.StatusServiceUnavailable, "the server is closing")
	}
	return nil
}

// remove forgets p (not a later session of the same id).
func (t *table[P]) remove(p P) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, _ := p.route()
	if t.items[id] == p {
		delete(t.items, id)
		t.gauge.Dec()
	}
}

// lookup returns the session a route names, ok false when there is none.
func (t *table[P]) lookup(rt route) (p P, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok = t.items[rt.session]
	if !ok {
		return p, false
	}
	if _, path := p.route(); path != rt.path {
		var zero P
		return zero, false
	}
	return p, true
}

// close refuses further sessions, stops every session and waits until
// each has released everything.
func (t *table[P]) close(reason string) {
	t.mu.Lock()
	t.closed = true
	items := make([]P, 0, len(t.items))
	for _, p := range t.items {
		items = append(items, p)
	}
	t.mu.Unlock()
	for _, p := range items {
		p.stop(reason)
	}
	for _, p := range items {
		<-p.ended()
	}
}
