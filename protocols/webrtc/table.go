package webrtc

import (
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pion/webrtc/v4"
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

// lifecycle is what a WHEP session and a WHIP publisher share: the id and
// path that name it in a table, and the signals of its life.
type lifecycle struct {
	id        string        // the secret in the session URL
	path      string        // the path read or published
	connected chan struct{} // closed when ICE and DTLS are up
	connOnce  sync.Once
	stopping  chan struct{} // closed by stop
	stopOnce  sync.Once
	reason    string        // why it stopped, set before stopping is closed
	done      chan struct{} // closed when everything is released
}

func newLifecycle(path string) *lifecycle {
	return &lifecycle{id: uuid.NewString(), path: path, connected: make(chan struct{}),
		stopping: make(chan struct{}), done: make(chan struct{})}
}

// route is the session's id and path (a table's key).
func (l *lifecycle) route() (id, path string) { return l.id, l.path }

// ended is closed once the session has released everything.
func (l *lifecycle) ended() <-chan struct{} { return l.done }

// stop asks the session to end; the first reason is kept.
func (l *lifecycle) stop(reason string) {
	l.stopOnce.Do(func() {
		l.reason = reason
		close(l.stopping)
	})
}

// handshake waits up to timeout for ICE and DTLS to come up. It answers
// false when the session stopped first, or stops it and answers false when
// the handshake timed out or gone (the publication a WHEP session reads;
// nil for a WHIP publisher) closed.
func (l *lifecycle) handshake(timeout time.Duration, gone <-chan struct{}) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-l.connected:
		return true
	case <-timer.C:
		l.stop("ICE/DTLS handshake timed out")
	case <-gone:
		l.stop("publisher left")
	case <-l.stopping:
	}
	return false
}

// follow follows the peer connection's state: connected closes connected,
// failed or closed stops the session. Disconnected may recover; pion turns
// it into failed when it does not.
func (l *lifecycle) follow(st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		l.connOnce.Do(func() { close(l.connected) })
	case webrtc.PeerConnectionStateFailed:
		l.stop("connection failed")
	case webrtc.PeerConnectionStateClosed:
		l.stop("connection closed")
	}
}
