package daemon

import (
	"reflect"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/redact"
	"github.com/streamgate/streamgate/protocols/source"
	"github.com/streamgate/streamgate/protocols/stream"
)

// pulled is a path's running source and the settings it was built from.
type pulled struct {
	opts   source.Options
	demand stream.DemandOptions // without State (a func)
	runner *source.Runner
}

// sourceOptions maps a path's source keys onto the source package's
// options, and the hub's demand options; ok is false for a path published
// by clients.
func sourceOptions(c *config.Conf, np *config.NamedPath) (source.Options, stream.DemandOptions, bool) {
	switch np.Source {
	case "", "publisher", "redirect":
		return source.Options{}, stream.DemandOptions{}, false
	}
	o := source.Options{
		Path:           np.Name,
		URL:            np.Source,
		Fingerprint:    np.SourceFingerprint,
		RTSPTransport:  np.RTSPTransport,
		RTSPAnyPort:    np.RTSPAnyPort,
		RTSPRangeType:  np.RTSPRangeType,
		RTSPRangeStart: np.RTSPRangeStart,
		ReadTimeout:    c.ReadTimeout,
		WriteTimeout:   c.WriteTimeout,
	}
	if kind, _ := source.Kind(np.Source); kind == "whep" {
		// Only for WHEP sources: a change of the WebRTC keys restarts them,
		// not the others.
		o.WebRTC = source.WebRTCOptions{ICEServers: iceServers(c.WebRTCICEServers2), HandshakeTimeout: c.WebRTCHandshakeTimeout,
			TrackGatherTimeout: c.WebRTCTrackGatherTimeout, STUNGatherTimeout: c.WebRTCSTUNGatherTimeout}
	}
	do := stream.DemandOptions{
		OnDemand:     np.SourceOnDemand,
		StartTimeout: np.SourceOnDemandStartTimeout,
		CloseAfter:   np.SourceOnDemandCloseAfter,
		Exclusive:    true,
	}
	return o, do, true
}

// syncSources makes the running sources those of c: a source whose
// settings are unchanged keeps running (its readers stay), a changed one
// is restarted, a removed one stopped. A source not on demand starts at
// once; an on-demand one at its first authorized reader (stream.Hub.Read).
func (d *Daemon) syncSources(c *config.Conf) {
	if d.sourceMetrics == nil {
		d.sourceMetrics = source.NewMetrics(d.registry)
	}
	want := map[string]bool{}
	for i := range c.Paths.List {
		np := &c.Paths.List[i]
		o, do, ok := sourceOptions(c, np)
		if !ok {
			continue
		}
		want[np.Name] = true
		if cur := d.sources[np.Name]; cur != nil {
			if reflect.DeepEqual(cur.opts, o) && sameDemand(cur.demand, do) {
				continue
			}
			d.stopSource(np.Name)
		}
		r, err := source.New(o, d.hub, d.sourceMetrics, d.logger.With("component", "source"))
		if err != nil { // validation refuses such a URL; never reached
			d.logger.Error("source not started", "path", np.Name, "error", redact.Error(err))
			continue
		}
		withState := do
		withState.State = r.State
		d.hub.SetDemand(np.Name, r, withState)
		if d.sources == nil {
			d.sources = map[string]*pulled{}
		}
		d.sources[np.Name] = &pulled{opts: o, demand: do, runner: r}
		if !do.OnDemand {
			r.Start()
		}
	}
	for name := range d.sources {
		if !want[name] {
			d.stopSource(name)
		}
	}
}

// stopSource stops a path's source: its publication ends (EndOfStream to
// Savant), its readers are dropped.
func (d *Daemon) stopSource(name string) {
	p := d.sources[name]
	if p == nil {
		return
	}
	d.hub.RemoveDemand(name)
	p.runner.Stop()
	delete(d.sources, name)
}

// stopSources stops every source.
func (d *Daemon) stopSources() {
	for name := range d.sources {
		d.stopSource(name)
	}
}

// sameDemand compares demand options without their State.
func sameDemand(a, b stream.DemandOptions) bool {
	return a.OnDemand == b.OnDemand && a.StartTimeout == b.StartTimeout && a.CloseAfter == b.CloseAfter && a.Exclusive == b.Exclusive
}
