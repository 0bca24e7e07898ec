package daemon

import (
	"sync"

	"github.com/streamgate/streamgate/protocols/stream"
)

// hookDemand is a path's runOnDemand as a stream.Demand: started at the
// first authorized reader of a path nobody publishes, stopped (its process
// group interrupted, runOnUnDemand run) runOnDemandCloseAfter after the
// last reader. The command publishes the path as any client does.
type hookDemand struct {
	d           *Daemon
	name, query string

	mu   sync.Mutex
	stop func()
}

var _ stream.Demand = (*hookDemand)(nil)

func (h *hookDemand) Start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stop == nil {
		h.stop = h.d.hooks.OnDemand(h.name, h.query) // MTX_QUERY: the first reader's, filtered
	}
}

func (h *hookDemand) Stop() {
	h.mu.Lock()
	stop := h.stop
	h.stop = nil
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// runOnDemandFunc is the hub's DemandFunc: a path published by clients
// with a runOnDemand gets one hookDemand per requested name (a ~regex path
// runs one command per stream, as MediaMTX). It runs under the hub's lock:
// it only reads the configuration.
func (d *Daemon) runOnDemandFunc(name, query string) (stream.Demand, stream.DemandOptions, bool) {
	np, ok := d.conf.Load().Paths.Find(name)
	if !ok || np.RunOnDemand == "" || (np.Source != "" && np.Source != "publisher") {
		return nil, stream.DemandOptions{}, false
	}
	return &hookDemand{d: d, name: name, query: query}, stream.DemandOptions{OnDemand: true,
		StartTimeout: np.RunOnDemandStartTimeout, CloseAfter: np.RunOnDemandCloseAfter}, true
}
