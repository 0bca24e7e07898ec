// Package daemon wires a configuration into running listeners: it builds the
// authentication pipeline, binds every enabled listener and stops them.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/httpapi"
)

// Daemon is one running streamgate.
type Daemon struct {
	logger   *slog.Logger
	registry *prometheus.Registry
	deps     authn.Deps
	conf     atomic.Pointer[config.Conf]
	pipeline atomic.Pointer[authn.Pipeline]
	ready    atomic.Bool
	servers  []*httpapi.Server
}

// NewLogger builds the process logger from logLevel and logFormat.
func NewLogger(c *config.Conf, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// New builds a daemon for c; nothing listens until Start.
func New(c *config.Conf, logger *slog.Logger) (*Daemon, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := authn.NewMetrics(reg)
	d := &Daemon{
		logger:   logger,
		registry: reg,
		deps: authn.Deps{
			Verifier:   authn.NewVerifier(c.AuthArgon2Concurrency, m),
			Quarantine: authn.NewQuarantine(QuarantineLimits(c)),
			Metrics:    m,
			Logger:     logger.With("component", "authn"),
		},
	}
	p, err := BuildPipeline(c, d.deps)
	if err != nil {
		return nil, err
	}
	d.conf.Store(c)
	d.pipeline.Store(p)
	return d, nil
}

// QuarantineLimits maps authQuarantine.
func QuarantineLimits(c *config.Conf) authn.QuarantineLimits {
	q := c.AuthQuarantine
	return authn.QuarantineLimits{UserLimit: q.FailedAttemptLimit, IPLimit: q.IPFailedAttemptLimit, Period: q.Period, MaxTracked: q.MaxTracked}
}

// ErrNotAvailable marks configured features this build does not have yet.
var ErrNotAvailable = errors.New("not available in this build yet")

// BuildPipeline builds the backend chain of authMethod. `streamgate check`
// runs it too, so a configuration it accepts is one the daemon can run.
func BuildPipeline(c *config.Conf, deps authn.Deps) (*authn.Pipeline, error) {
	var backends []authn.Backend
	for _, m := range c.AuthMethod {
		switch m {
		case "internal":
			backends = append(backends, authn.NewInternal(c.AuthInternalUsers, deps.Verifier))
		default:
			return nil, fmt.Errorf("authMethod: %s: %w", m, ErrNotAvailable)
		}
	}
	if c.AuthUser != "" || c.AuthPass.IsSet() {
		return nil, fmt.Errorf("authUser/authPass (per-service credentials): %w", ErrNotAvailable)
	}
	return authn.NewPipeline(authn.PipelineConfig{Backends: backends, CacheSize: c.AuthCache.Size, CacheTTL: c.AuthCache.TTL}, deps), nil
}

// Authenticate runs the current pipeline.
func (d *Daemon) Authenticate(ctx context.Context, req *authn.Request) (*authn.Identity, error) {
	return d.pipeline.Load().Authenticate(ctx, req)
}

// Registry is the daemon's Prometheus registry.
func (d *Daemon) Registry() *prometheus.Registry { return d.registry }

// env is what one listener's handlers need; trusted selects the listener's
// trusted proxies from the configuration current at each request.
func (d *Daemon) env(trusted func(*config.Conf) []config.Network) *httpapi.Env {
	return &httpapi.Env{
		Auth:  d,
		Realm: func() string { return d.conf.Load().AuthRealm },
		TrustedProxies: func() []netip.Prefix {
			return []netip.Prefix(config.Networks(trusted(d.conf.Load())))
		},
		Ready:    &d.ready,
		Config:   func() any { return d.conf.Load().Redacted() },
		Gatherer: d.registry,
	}
}

// Start binds every enabled listener; on any failure it stops those already
// bound. /ready answers 200 once everything is up.
func (d *Daemon) Start() error {
	c := d.conf.Load()
	listeners := []struct {
		name    string
		enabled bool
		addr    string
		handler http.Handler
	}{
		{"api", c.API, c.APIAddress, d.env(func(c *config.Conf) []config.Network { return c.APITrustedProxies }).APIHandler()},
		{"metrics", c.Metrics, c.MetricsAddress, d.env(func(c *config.Conf) []config.Network { return c.MetricsTrustedProxies }).MetricsHandler()},
		{"pprof", c.Pprof, c.PprofAddress, d.env(func(c *config.Conf) []config.Network { return c.PprofTrustedProxies }).PprofHandler()},
	}
	for _, l := range listeners {
		if !l.enabled {
			continue
		}
		s, err := httpapi.Listen(httpapi.ServerConfig{
			Name: l.name, Address: l.addr, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout,
			Handler: l.handler, Logger: d.logger,
		})
		if err != nil {
			d.Shutdown(context.Background())
			return err
		}
		d.servers = append(d.servers, s)
	}
	for _, l := range []struct {
		name    string
		enabled bool
	}{{"rtsp", c.RTSP}, {"rtmp", c.RTMP}, {"hls", c.HLS}, {"webrtc", c.WebRTC}, {"srt", c.SRT}, {"gateway", c.Gateway}} {
		if l.enabled {
			d.logger.Warn("listener not started: not available in this build yet", "listener", l.name)
		}
	}
	if c.Savant.URL != "" {
		d.logger.Warn("savant output not started: not available in this build yet")
	}
	d.ready.Store(true)
	d.logger.Info("ready")
	return nil
}

// Addrs returns the bound address of each started listener by name.
func (d *Daemon) Addrs() map[string]net.Addr {
	out := map[string]net.Addr{}
	for _, s := range d.servers {
		out[s.Name()] = s.Addr()
	}
	return out
}

// Shutdown stops every listener, draining requests until ctx ends.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.ready.Store(false)
	var errs []error
	for i := len(d.servers) - 1; i >= 0; i-- {
		if err := d.servers[i].Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	d.servers = nil
	return errors.Join(errs...)
}

// CheckDeps are throw-away dependencies for building a pipeline only to
// validate it.
func CheckDeps() authn.Deps {
	m := authn.NewMetrics(nil)
	return authn.Deps{Verifier: authn.NewVerifier(1, m), Quarantine: authn.NewQuarantine(authn.QuarantineLimits{}), Metrics: m}
}
