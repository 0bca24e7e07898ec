package stream

import (
	"fmt"
	"sync"
	"time"
)

// ErrSourcePath: a client tried to publish a path whose stream comes from a
// pulled source. It wraps ErrBusy, so listeners answer it as a taken path.
var ErrSourcePath = fmt.Errorf("%w (its stream is pulled from a source)", ErrBusy)

// Demand is what makes a path published when readers want it: a pulled
// source, later a runOnDemand command. The hub calls Start when the first
// authorized reader asks for the path (Hub.Read) and Stop once the last
// reader has been gone for CloseAfter — only when DemandOptions.OnDemand is
// set; otherwise the owner runs it all the time and the hub only lets
// readers wait for it. Neither method may call back into the hub's locks
// synchronously in a way that waits for a reader; Start must not block (the
// stream shows up later through Hub.Publish); Stop returns once the
// publication, if any, is closed.
type Demand interface {
	// Start begins getting the path published.
	Start()
	// Stop ends it.
	Stop()
}

// DemandOptions say how the hub drives a Demand.
type DemandOptions struct {
	// OnDemand: Start at the first reader, Stop CloseAfter after the last.
	OnDemand bool
	// StartTimeout bounds how long a reader waits for the path to be
	// published (on demand, or while a source reconnects).
	StartTimeout time.Duration
	// CloseAfter is how long an on-demand Demand runs after its last reader.
	CloseAfter time.Duration
	// Exclusive refuses client publishers on the path (ErrSourcePath): only
	// publications with SourceInfo.Pulled may publish it.
	Exclusive bool
	// State, when set, reports the state of what publishes the path, for
	// the API (a pulled source: idle, connecting, ready, error).
	State func() string
	// Refusal, when a DemandFunc sets it, refuses the reader with it at
	// once (no Demand is kept): a peer's path while the cluster registry
	// is unreachable (ErrUnavailable).
	Refusal error
}

// demandEntry is a path's Demand and the readers waiting for it.
type demandEntry struct {
	d       Demand
	o       DemandOptions
	started bool
	waiting int
	// ready is closed at the path's next publication (after its hooks).
	ready chan struct{}
	timer *time.Timer
	// gen tells a stale timer's expiry from the current one's.
	gen int
	// op serializes the calls of Start and Stop.
	op sync.Mutex
	// dynamic: made by the DemandFunc for one name; forgotten once stopped.
	dynamic bool
}

// DemandFunc gives the Demand of a path name that has none set with
// SetDemand, when a reader asks for it: a runOnDemand command on a ~regex
// path, one per requested name; query is the raw query of the reader that
// asked (credentials included: the hooks filter it). ok false: the name has
// none. It runs under the hub's lock: it must not call the hub.
type DemandFunc func(name, query string) (d Demand, o DemandOptions, ok bool)

// SetDemandFunc sets the DemandFunc (nil: none). The Demands it made are
// forgotten once stopped.
func (h *Hub) SetDemandFunc(fn DemandFunc) {
	h.mu.Lock()
	h.demandFn = fn
	h.mu.Unlock()
}

// SetDemand makes d the Demand of the path name (a configured name, not a
// pattern), replacing any other: the caller stops the one it replaces.
func (h *Hub) SetDemand(name string, d Demand, o DemandOptions) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.demands[name]; old != nil {
		old.cancelTimer()
		close(old.ready)
	}
	h.demands[name] = &demandEntry{d: d, o: o, ready: make(chan struct{})}
}

// RemoveDemand forgets the Demand of name; readers waiting for it give up.
// The caller stops it.
func (h *Hub) RemoveDemand(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.demands[name]; e != nil {
		e.cancelTimer()
		close(e.ready)
		delete(h.demands, name)
	}
}

// RemoveDemandOf is RemoveDemand when name's Demand is still d: a caller
// retiring a Demand the hub may have replaced meanwhile leaves the new
// one alone.
func (h *Hub) RemoveDemandOf(name string, d Demand) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.demands[name]; e != nil && e.d == d {
		e.cancelTimer()
		close(e.ready)
		delete(h.demands, name)
	}
}

// Read returns the publication of name for an authorized reader (query is
// its raw query, for a DemandFunc): listeners call it after authorization
// and in place of Get, so that an unauthenticated request never wakes a
// Demand. When nobody publishes the
// path and it has a Demand, an on-demand one is started, and Read waits up
// to its StartTimeout for the publication.
func (h *Hub) Read(name, query string) (*Publication, error) {
	h.mu.Lock()
	e := h.demands[name]
	if p, ok := h.paths[name]; ok {
		if e != nil {
			e.cancelTimer()
		}
		h.mu.Unlock()
		return p, nil
	}
	if e == nil && h.demandFn != nil {
		if d, o, ok := h.demandFn(name, query); ok && o.Refusal != nil {
			h.mu.Unlock()
			return nil, o.Refusal
		} else if ok {
			e = &demandEntry{d: d, o: o, ready: make(chan struct{}), dynamic: true}
			h.demands[name] = e
		}
	}
	if e == nil {
		h.mu.Unlock()
		return nil, ErrNotPublished
	}
	e.cancelTimer()
	start := e.o.OnDemand && !e.started
	e.started = e.started || start
	e.waiting++
	ready := e.ready
	h.mu.Unlock()
	if start {
		h.logger.Info("on-demand start", "path", name)
		e.op.Lock()
		e.d.Start()
		e.op.Unlock()
	}
	t := time.NewTimer(e.o.StartTimeout)
	select {
	case <-ready:
	case <-t.C:
	}
	t.Stop()
	h.mu.Lock()
	e.waiting--
	p := h.paths[name]
	h.mu.Unlock()
	h.idle(name)
	if p == nil {
		return nil, ErrNotPublished
	}
	return p, nil
}

// SourceStates returns the state of every path whose Demand reports one
// (pulled sources), by path name, for the API: idle, connecting, ready or
// error.
func (h *Hub) SourceStates() map[string]string {
	h.mu.Lock()
	fns := map[string]func() string{}
	for name, e := range h.demands {
		if e.o.State != nil {
			fns[name] = e.o.State
		}
	}
	h.mu.Unlock()
	out := make(map[string]string, len(fns))
	for name, fn := range fns {
		out[name] = fn()
	}
	return out
}

// sourceState is the state of name's Demand, or "".
func (h *Hub) sourceState(name string) string {
	h.mu.Lock()
	e := h.demands[name]
	h.mu.Unlock()
	if e == nil || e.o.State == nil {
		return ""
	}
	return e.o.State()
}

// exclusive reports whether a publisher not Pulled is refused on name.
// Called with h.mu held.
func (h *Hub) exclusive(name string, src SourceInfo) bool {
	e := h.demands[name]
	return e != nil && e.o.Exclusive && !src.Pulled
}

// published wakes the readers waiting for name. Called once the
// publication's hooks have run (the listeners' fan-outs are attached).
func (h *Hub) published(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.demands[name]; e != nil {
		close(e.ready)
		e.ready = make(chan struct{})
	}
}

// busy cancels the pending stop of name's Demand: a reader came.
func (h *Hub) busy(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.demands[name]; e != nil {
		e.cancelTimer()
	}
}

// idle arms the stop of name's on-demand Demand when it runs with no
// reader and nobody waiting for it.
func (h *Hub) idle(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.demands[name]
	if e == nil || !h.unused(name, e) || e.timer != nil {
		return
	}
	e.gen++
	gen := e.gen
	e.timer = time.AfterFunc(e.o.CloseAfter, func() { h.expire(name, e, gen) })
}

// unused: an on-demand Demand that runs with no reader and nobody waiting.
// Called with h.mu held.
func (h *Hub) unused(name string, e *demandEntry) bool {
	if !e.o.OnDemand || !e.started || e.waiting > 0 {
		return false
	}
	p := h.paths[name]
	return p == nil || p.readerCount() == 0
}

// expire stops name's Demand when it is still unused CloseAfter later.
func (h *Hub) expire(name string, e *demandEntry, gen int) {
	h.mu.Lock()
	if h.demands[name] != e || e.gen != gen || e.timer == nil {
		h.mu.Unlock()
		return
	}
	e.timer = nil
	if !h.unused(name, e) {
		h.mu.Unlock()
		return
	}
	e.started = false
	h.mu.Unlock()
	e.op.Lock()
	defer e.op.Unlock()
	h.mu.Lock()
	restarted := e.started // a reader came meanwhile: its Start found it running
	h.mu.Unlock()
	if restarted {
		return
	}
	h.logger.Info("on-demand stop: no reader", "path", name)
	e.d.Stop()
	if e.dynamic {
		h.mu.Lock()
		if h.demands[name] == e && !e.started {
			delete(h.demands, name)
		}
		h.mu.Unlock()
	}
}

func (e *demandEntry) cancelTimer() {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
		e.gen++
	}
}
