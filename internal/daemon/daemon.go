// Package daemon wires a configuration into running parts: the
// authentication pipeline and its stores, the Savant writer, and every
// enabled listener; and it stops them in order.
package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/clusterlock"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/internal/redact"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/hls"
	"github.com/streamgate/streamgate/protocols/rtmp"
	"github.com/streamgate/streamgate/protocols/rtsp"
	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/source"
	"github.com/streamgate/streamgate/protocols/srt"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Daemon is one running streamgate.
type Daemon struct {
	logger   *slog.Logger
	registry *prometheus.Registry
	deps     authn.Deps
	res      Resources
	writer   *savant.Writer
	hub      *stream.Hub
	rtsp     []*rtsp.Server
	rtmp     []*rtmp.Server
	srt      *srt.Server
	hls      atomic.Pointer[hls.Server]
	sessions *authn.Sessions
	// clusterLock shares the quarantine and kicks with the cluster (clusterlock.go).
	clusterLock *clusterlock.Lock
	// hooks runs the runOn… commands; the hub tells it what happens.
	hooks    *hookEvents
	reloads  *reloadMetrics
	reloadMu sync.Mutex // serializes Reload, Shutdown and Addrs: the set of listeners
	conf     atomic.Pointer[config.Conf]
	pipeline atomic.Pointer[authn.Pipeline]
	started  atomic.Bool
	servers  []runningHTTP
	// limits counts every listener's connections and accept failures.
	limits *netlimit.Limits
	// nofile is the descriptor limit (RLIMIT_NOFILE) after raising it; 0:
	// unknown.
	nofile uint64

	// sources are the paths' pulled sources (sources.go), sourceMetrics
	// their counters.
	sources       map[string]*pulled
	sourceMetrics *source.Metrics

	// recheckRetry: a retry of the sessions a re-check could not answer
	// for is scheduled (retryPending).
	recheckRetry atomic.Bool

	// conns are the live connections and sessions the control API lists.
	conns *conns.Registry
	// startedAt is when New ran (GET /v3/info).
	startedAt time.Time
	// editMu serializes configuration edits (API, file): each applies to
	// the configuration the previous one left.
	editMu sync.Mutex
	// apiEdits counts the edits applied through the API since the file was
	// last applied (a reload of the file replaces them).
	apiEdits atomic.Int64
}

// NewLogger builds a logger writing to w alone, formatted as the process
// logger (OpenLogger, logger.go) is.
func NewLogger(c *config.Conf, w io.Writer) *slog.Logger {
	return slog.New(logHandler(c, w, false))
}

// maskURLs masks the credentials of every URL in a log line's message and
// values (strings and errors): the last line of defence after the
// backends' own care, for an error of a library that quotes its URL (the
// JWKS client, etcd, net/http keep query tokens).
func maskURLs(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); strings.Contains(s, "://") {
			a.Value = slog.StringValue(redact.Text(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.AnyValue(redact.Error(err))
		}
	}
	return a
}

// New builds a daemon for c; nothing listens until Start.
func New(c *config.Conf, logger *slog.Logger) (*Daemon, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	panics.Register(reg, panics.Components...)
	m := authn.NewMetrics(reg)
	q := authn.NewQuarantine(QuarantineLimits(c))
	d := &Daemon{
		logger:    logger,
		registry:  reg,
		conns:     conns.New(),
		startedAt: time.Now(),
		deps: authn.Deps{
			Verifier:   authn.NewVerifier(c.AuthArgon2Concurrency, q, m),
			Quarantine: q,
			Metrics:    m,
			Logger:     logger.With("component", "authn"),
		},
	}
	// Validate everything before starting anything.
	if _, err := BuildPipeline(c, CheckDeps(), Resources{}); err != nil {
		return nil, err
	}
	if c.AuthMethod.Has("etcd") {
		store, err := authn.NewEtcdStore(EtcdConfig(c), reg, logger.With("component", "etcd"))
		if err != nil {
			return nil, err
		}
		d.res.Etcd = store
	}
	d.reloads = newReloadMetrics(reg)
	d.limits = netlimit.New(reg, logger.With("component", "netlimit"))
	d.nofile = raiseFileLimit(logger)
	d.applyLimits(c)
	d.hub = stream.NewHub(confmap.Paths(d.conf.Load), reg, logger.With("component", "stream"))
	if err := d.startCluster(c); err != nil {
		d.closeStores()
		return nil, err
	}
	p, err := BuildPipeline(c, d.deps, d.res)
	if err != nil {
		d.closeStores()
		return nil, err
	}
	d.conf.Store(c)
	d.pipeline.Store(p)
	p.Calibrate() // refusals take an argon2 check's time from the first one
	d.hub.OnPublish(d.mediaOnPublish)
	d.hooks = d.newHookEvents(c)
	d.hub.SetDemandFunc(d.demandFunc) // runOnDemand, cluster relays: through the sources' on-demand mechanism
	d.hub.SetEvents(d.hooks)
	d.sessions = authn.NewSessions(reg)
	if d.res.Etcd != nil {
		d.watchEtcd(d.res.Etcd)
	}
	if err := d.startClusterLock(c); err != nil {
		d.closeStores()
		return nil, err
	}
	return d, nil
}

// Authenticate runs the current pipeline. The identity of a request that
// opens a live session (RTSP, RTMP, SRT, WebRTC) is bound to the session
// registry, so that a reload or a user store change re-checks it.
func (d *Daemon) Authenticate(ctx context.Context, req *authn.Request) (*authn.Identity, error) {
	id, err := d.pipeline.Load().Authenticate(ctx, req)
	if err != nil {
		return nil, err
	}
	switch req.Protocol {
	case authn.ProtocolRTSP, authn.ProtocolRTMP, authn.ProtocolSRT, authn.ProtocolWebRTC:
		return id.Bind(d.sessions, req), nil
	}
	return id, nil
}

// Ready reports whether listeners are bound and accepting (none is out of
// descriptors), the etcd store (if used) holds a current snapshot, and the
// Savant writer (if used) is up.
func (d *Daemon) Ready() bool {
	if !d.started.Load() || len(d.limits.Down()) > 0 {
		return false
	}
	return d.res.Etcd == nil || d.res.Etcd.Synced()
}

// Registry is the daemon's Prometheus registry.
func (d *Daemon) Registry() *prometheus.Registry { return d.registry }

// Start opens the Savant writer and binds every enabled listener; on any
// failure it stops what it had started.
func (d *Daemon) Start() error {
	c := d.conf.Load()
	// The JWKS is fetched before any listener opens, so that the first
	// requests find keys.
	d.startAuth()
	if c.Savant.URL != "" {
		cfg, err := savantConfig(c.Savant)
		if err != nil {
			return err
		}
		if d.writer, err = savant.NewWriter(cfg, d.registry, d.logger.With("component", "savant")); err != nil {
			return err
		}
		out := &stream.SavantOutput{Writer: d.writer, ProtocolVersion: c.Savant.ProtocolVersion, Logger: d.logger.With("component", "savant"),
			RelayPeers: c.Cluster.RelaySavant}
		d.hub.OnPublish(out.Attach)
	}
	if err := d.startRTSP(c); err != nil {
		_ = d.Shutdown(context.Background())
		return err
	}
	d.joinCluster(c)
	if err := d.startRTMP(c); err != nil {
		_ = d.Shutdown(context.Background())
		return err
	}
	if err := d.startSRT(c); err != nil {
		_ = d.Shutdown(context.Background())
		return err
	}
	for _, name := range httpListenerNames {
		if err := d.startHTTP(c, name); err != nil {
			_ = d.Shutdown(context.Background())
			return err
		}
	}
	d.hooks.applyInitHooks(c)
	d.syncSources(c) // after the Savant hook: a source's first unit reaches it
	d.started.Store(true)
	d.logger.Info("ready")
	return nil
}

// Addrs returns the bound address of each started listener by name.
func (d *Daemon) Addrs() map[string]net.Addr {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	out := map[string]net.Addr{}
	for _, s := range d.servers {
		out[s.Name()] = s.Addr()
	}
	return out
}

// Shutdown stops accepting, drains requests, flushes the Savant output and
// closes the stores, all within ctx.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.reloadMu.Lock() // a reload in progress finishes first
	defer d.reloadMu.Unlock()
	d.started.Store(false)
	var errs []error
	for i := len(d.servers) - 1; i >= 0; i-- {
		if err := d.servers[i].shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	d.servers = nil
	d.stopSources()
	d.closeRTSP()
	d.closeRTMP()
	d.closeSRT()
	d.hooks.close()
	if d.writer != nil {
		if err := d.writer.Close(ctx); err != nil {
			errs = append(errs, err)
		}
		d.writer = nil
	}
	if p := d.pipeline.Load(); p != nil {
		if err := p.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	d.closeStores()
	return errors.Join(errs...)
}

func (d *Daemon) closeStores() {
	d.stopClusterLock() // first: its last flush uses the cluster's etcd client
	if d.res.Cluster != nil {
		d.res.Cluster.Close() // the lease is revoked: this instance's paths leave the registry
	}
	if d.res.Etcd != nil {
		_ = d.res.Etcd.Close()
		d.res.Etcd = nil
	}
}

// closeRTSP stops the RTSP listeners: publications over RTSP end, readers
// are dropped.
func (d *Daemon) closeRTSP() {
	for _, s := range d.rtsp {
		s.Close()
	}
	d.rtsp = nil
}

// startRTSP starts the RTSP listener and, with rtspEncryption, the RTSPS one.
func (d *Daemon) startRTSP(c *config.Conf) error {
	if !c.RTSP {
		return nil
	}
	base := rtsp.Config{ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout, AuthMethods: c.RTSPAuthMethods,
		Transports: c.RTSPTransports, Limits: d.limits, Metrics: rtsp.NewMetrics(d.registry), Conns: d.conns}
	if slices.Contains(c.RTSPTransports, "udp") {
		base.RTPAddress, base.RTCPAddress = c.RTPAddress, c.RTCPAddress
	}
	eps, err := endpoints("rtsp", c.RTSPEncryption, c.RTSPAddress, c.RTSPSAddress, c.RTSPServerCert, c.RTSPServerKey)
	if err != nil {
		return err
	}
	for _, e := range eps {
		cfg := base
		cfg.Name, cfg.Address, cfg.TLS = e.name, e.addr, e.tls
		if e.tls != nil {
			cfg.RTPAddress, cfg.RTCPAddress = "", "" // UDP stays with the plain listener
			if cfg.ClientCAs, err = peerClientCAs(c, e.tls); err != nil {
				return err
			}
		}
		s, err := rtsp.Listen(cfg, d, d.hub, d.logger.With("component", cfg.Name))
		if err != nil {
			return err
		}
		if e.tls == nil {
			d.hooks.rtspListening(s.Addr())
		}
		d.rtsp = append(d.rtsp, s)
	}
	return nil
}
