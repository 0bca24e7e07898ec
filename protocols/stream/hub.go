// Package stream is the path hub every listener publishes to and reads
// from: one publisher per path, many readers, codec-level units. A slow
// consumer never blocks the publisher or other consumers: each sink has a
// bounded queue and drops (counted) when it is full.
package stream

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/authz"
)

// Errors the hub answers with; listeners map them to their protocol.
var (
	// ErrNoPath: no configured path matches the name.
	ErrNoPath = errors.New("stream: path is not configured")
	// ErrBusy: the path already has a publisher (and overridePublisher is off).
	ErrBusy = errors.New("stream: path already has a publisher")
	// ErrNotPublished: nobody publishes the path.
	ErrNotPublished = errors.New("stream: path is not being published")
	// ErrTooManyReaders: maxReaders is reached.
	ErrTooManyReaders = errors.New("stream: path has its maximum number of readers")
	// ErrUnavailable: the path may be published elsewhere but cannot be
	// reached now (the cluster registry is unreachable); retry later.
	ErrUnavailable = errors.New("stream: path unavailable for now")
)

// SourceInfo describes a publisher for the API and logs.
type SourceInfo struct {
	// Protocol is rtsp, rtmp or srt.
	Protocol string
	// Listener is the listener it came in on (rtsp, rtsps, rtmp, rtmps, srt).
	Listener string
	// ID identifies the publishing session.
	ID string
	// User is the authenticated user name.
	User string
	// Pulled marks a pulled source (Protocol is then rtspSource,
	// rtmpSource, srtSource, hlsSource, udpSource or whepSource, as MediaMTX
	// names them).
	Pulled bool
	// Type is MediaMTX's source type (rtspSession, rtspsSession, rtmpConn,
	// rtmpsConn, srtConn, webRTCSession), for hooks (MTX_SOURCE_TYPE).
	Type string
	// Query is the raw query the publisher asked with (credentials
	// included: Events takes them out).
	Query string
	// Peer, when set, is the cluster instance the stream is relayed from
	// (a pulled source reading a peer): it is no publisher of the cluster's
	// own (ClaimFunc passes it) and not sent to Savant unless configured.
	Peer string
}

// ClaimFunc is asked before a path gets a new publisher (the cluster
// registry): an error refuses the publisher (wrapping ErrBusy when another
// instance has the path), else release is called once when the
// publication ends (or when the hub refuses it after all). It runs
// outside the hub's locks and may take a network round trip.
type ClaimFunc func(name string, src SourceInfo, override bool) (release func(), err error)

// Hub holds the live paths.
type Hub struct {
	find    PathFinder
	logger  *slog.Logger
	metrics *metrics

	mu     sync.Mutex
	paths  map[string]*Publication
	hooks  []func(*Publication)
	events Events
	// demands are the paths' Demands (pulled sources), by path name.
	demands map[string]*demandEntry
	// demandFn gives the Demands of names without one (SetDemandFunc).
	demandFn DemandFunc
	// claim is asked before a path gets a publisher (SetClaim).
	claim ClaimFunc
}

// SetClaim sets the ClaimFunc (nil: none).
func (h *Hub) SetClaim(fn ClaimFunc) {
	h.mu.Lock()
	h.claim = fn
	h.mu.Unlock()
}

// NewHub creates a hub that asks paths for a path's options at each publish
// and read.
func NewHub(paths PathFinder, reg prometheus.Registerer, logger *slog.Logger) *Hub {
	return &Hub{find: paths, logger: logger, metrics: newMetrics(reg), paths: map[string]*Publication{}, demands: map[string]*demandEntry{}}
}

// OnPublish registers fn to run for every new publication, before its first
// unit (listeners attach their fan-out, the Savant sink attaches itself).
func (h *Hub) OnPublish(fn func(*Publication)) {
	h.mu.Lock()
	h.hooks = append(h.hooks, fn)
	h.mu.Unlock()
}

// PathConf returns the options of a path name.
func (h *Hub) PathConf(name string) (*PathOptions, error) {
	np, ok := h.find(name)
	if !ok {
		return nil, ErrNoPath
	}
	return np, nil
}

// PublishLabels are the routing labels a publisher of name is held to, for
// the listener's one authentication of it: a copy of the path's
// savantLabels (empty, not nil, when it has none); nil when no path matches,
// which the hub refuses once the credentials are judged.
func (h *Hub) PublishLabels(name string) []string {
	np, ok := h.find(name)
	if !ok {
		return nil
	}
	return append([]string{}, np.SavantLabels...)
}

// Publish makes the caller the publisher of name with the tracks of desc. A
// name that breaks the naming rules is refused (an error wrapping
// authz.ErrPathName) whatever the listener checked: it never becomes a
// publication, nor a Savant source_id.
func (h *Hub) Publish(name string, desc *description.Session, src SourceInfo) (*Publication, error) {
	if err := authz.CheckPathName(name); err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	np, err := h.PathConf(name)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.exclusive(name, src) || (!np.Publisher && !src.Pulled) {
		h.mu.Unlock()
		return nil, ErrSourcePath
	}
	claim := h.claim
	h.mu.Unlock()
	release := func() {}
	if claim != nil {
		if release, err = claim(name, src, np.OverridePublisher); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	if h.exclusive(name, src) {
		h.mu.Unlock()
		release()
		return nil, ErrSourcePath
	}
	for {
		old, ok := h.paths[name]
		if !ok {
			break
		}
		if !np.OverridePublisher {
			h.mu.Unlock()
			release()
			return nil, ErrBusy
		}
		// Close returns once old's sinks are stopped and old is out of
		// the hub. Another publisher may have got in meanwhile: look
		// again, so that one publication only is ever live for a path
		// (two would both feed Savant the same source_id).
		h.mu.Unlock()
		old.Close()
		h.mu.Lock()
	}
	p := &Publication{hub: h, Name: name, Conf: np, Desc: desc, Source: src, Started: time.Now(),
		readers: map[any]struct{}{}, reads: map[any]func(){}, attached: map[string]any{}, done: make(chan struct{}), stopped: make(chan struct{}),
		release: onceFn(release)}
	h.paths[name] = p
	h.metrics.publishers.Inc()
	hooks := append([]func(*Publication){}, h.hooks...)
	events := h.events
	h.mu.Unlock()
	for _, fn := range hooks {
		fn(p)
	}
	if events != nil {
		p.setReadyEnd(onceFn(events.Ready(p)))
	}
	h.published(name)
	h.logger.Info("publishing", "path", name, "protocol", src.Protocol, "user", src.User, "tracks", len(desc.Medias))
	return p, nil
}

// Get returns the publication of name.
func (h *Hub) Get(name string) (*Publication, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.paths[name]
	if !ok {
		return nil, ErrNotPublished
	}
	return p, nil
}

func (h *Hub) remove(p *Publication) {
	h.mu.Lock()
	if h.paths[p.Name] == p {
		delete(h.paths, p.Name)
	}
	h.mu.Unlock()
}

// PathInfo is one live path, for the API.
type PathInfo struct {
	Name, ConfName string
	Source         SourceInfo
	Tracks         []string
	Readers        int
	BytesReceived  uint64
	Started        time.Time
	// SourceState is the state of the path's pulled source (idle,
	// connecting, ready, error), "" for a path published by a client.
	// Hub.SourceStates also lists pulled paths that are not live.
	SourceState string
}

// List returns the live paths by name.
func (h *Hub) List() []PathInfo {
	h.mu.Lock()
	pubs := make([]*Publication, 0, len(h.paths))
	for _, p := range h.paths {
		pubs = append(pubs, p)
	}
	h.mu.Unlock()
	out := make([]PathInfo, 0, len(pubs))
	for _, p := range pubs {
		info := p.info()
		info.SourceState = h.sourceState(p.Name)
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Publication is a path with its publisher.
type Publication struct {
	hub     *Hub
	Name    string
	Conf    *PathOptions
	Desc    *description.Session
	Source  SourceInfo
	Started time.Time

	mu       sync.Mutex
	readers  map[any]struct{}
	reads    map[any]func() // readers Events heard of → their end
	readyEnd func()         // Events' end of the stream
	sinks    []*Sink
	attached map[string]any
	closed   bool
	done     chan struct{}
	stopped  chan struct{} // closed once Close has stopped the sinks and left the hub
	bytes    uint64
	release  func() // the ClaimFunc's release

	keyframes keyframeRequests
}

// Done is closed when the publication ends.
func (p *Publication) Done() <-chan struct{} { return p.done }

// Attach stores a listener's per-path state (an RTSP server stream).
func (p *Publication) Attach(key string, v any) {
	p.mu.Lock()
	p.attached[key] = v
	p.mu.Unlock()
}

// Attached returns what Attach stored.
func (p *Publication) Attached(key string) any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attached[key]
}

// AddReader counts a reader, refusing past maxReaders.
func (p *Publication) AddReader(r any) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrNotPublished
	}
	if max := p.Conf.MaxReaders; max > 0 && len(p.readers) >= max {
		p.mu.Unlock()
		return ErrTooManyReaders
	}
	p.readers[r] = struct{}{}
	first := len(p.readers) == 1
	p.mu.Unlock()
	if first {
		p.hub.busy(p.Name) // h.mu is never taken under p.mu
	}
	p.RequestKeyframe() // the reader starts at a keyframe: have one soon
	return nil
}

// RemoveReader forgets a reader (and tells Events of its end); after the
// last one, an on-demand source of the path is stopped
// sourceOnDemandCloseAfter later.
func (p *Publication) RemoveReader(r any) {
	p.mu.Lock()
	delete(p.readers, r)
	last := len(p.readers) == 0
	p.mu.Unlock()
	p.unwatch(r)
	if last {
		p.hub.idle(p.Name)
	}
}

func (p *Publication) readerCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.readers)
}

// AddSink starts a consumer of units with its own bounded queue.
func (p *Publication) AddSink(name string, queue int, consume func(*Unit), closeFn func()) *Sink {
	return p.addSink(newSink(p.hub.metrics, p.hub.logger.With("sink", name, "path", p.Name), name, queue, consume, closeFn))
}

// AddInlineSink adds a consumer that runs in the publisher's goroutine,
// under the publication's lock: consume must never wait nor call back into
// the publication (the Savant output, which only enqueues); nor may
// closeFn, which runs in Close.
func (p *Publication) AddInlineSink(name string, consume func(*Unit), closeFn func()) *Sink {
	return p.addSink(newInlineSink(name, consume, closeFn))
}

func (p *Publication) addSink(s *Sink) *Sink {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		s.close()
		return s
	}
	p.sinks = append(p.sinks, s)
	p.mu.Unlock()
	return s
}

// WriteUnit hands u to every sink without waiting. Pushes are non-blocking,
// so they run under the lock that Close and RemoveSink take: a sink is never
// pushed to after its queue is closed.
func (p *Publication) WriteUnit(u *Unit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes += uint64(u.Size())
	for _, s := range p.sinks {
		s.push(u)
	}
}

// RemoveSink stops one sink (a reader that left); it drains and closes.
func (p *Publication) RemoveSink(s *Sink) {
	p.mu.Lock()
	for i, x := range p.sinks {
		if x == s {
			p.sinks = append(p.sinks[:i:i], p.sinks[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	s.close()
}

// Close ends the publication: sinks drain and close (the Savant sink sends
// EndOfStream), readers are told through Done. The path stays taken until
// the sinks are stopped, so that a next publisher's sinks never run beside
// them. It returns once that is done, whichever caller closed first.
func (p *Publication) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.stopped
		return
	}
	p.closed = true
	sinks := p.sinks
	p.sinks = nil
	p.mu.Unlock()
	close(p.done)
	p.SetKeyframeRequester(nil)
	for _, s := range sinks {
		s.close()
	}
	p.hub.remove(p)
	p.release()
	p.hub.metrics.publishers.Dec()
	p.endEvents()
	close(p.stopped)
	p.hub.idle(p.Name)
	p.hub.logger.Info("publisher left", "path", p.Name, "protocol", p.Source.Protocol)
}

func (p *Publication) info() PathInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	tracks := make([]string, 0, len(p.Desc.Medias))
	for _, m := range p.Desc.Medias {
		for _, f := range m.Formats {
			tracks = append(tracks, f.Codec())
		}
	}
	return PathInfo{Name: p.Name, ConfName: p.Conf.ConfName, Source: p.Source, Tracks: tracks, Readers: len(p.readers), BytesReceived: p.bytes, Started: p.Started}
}

func (p *Publication) String() string { return fmt.Sprintf("path %s (%s)", p.Name, p.Source.Protocol) }
