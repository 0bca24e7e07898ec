package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sync/atomic"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/gateway"
	"github.com/streamgate/streamgate/protocols/httpapi"
)

// httpListener is one HTTP listener to start.
type httpListener struct {
	name    string
	enabled bool
	addr    string
	tls     *tls.Config
	handler http.Handler
	// closeMedia, when set, ends the listener's media side before its HTTP
	// server drains (blocked Low-Latency HLS playlist requests return,
	// WebRTC sessions end).
	closeMedia func()
}

// runningHTTP is a started HTTP listener.
type runningHTTP struct {
	*httpapi.Server
	closeMedia func()
}

// shutdown ends the listener's media side, then drains its requests.
func (r runningHTTP) shutdown(ctx context.Context) error {
	if r.closeMedia != nil {
		r.closeMedia()
	}
	return r.Shutdown(ctx)
}

// env is what one listener's handlers need; trusted and origins select the
// listener's trusted proxies and CORS origins from the configuration current
// at each request.
func (d *Daemon) env(trusted func(*config.Conf) []config.Network, origins func(*config.Conf) []string) *httpapi.Env {
	return &httpapi.Env{
		AllowOrigins:   func() []string { return origins(d.conf.Load()) },
		Auth:           d,
		Realm:          func() string { return d.conf.Load().AuthRealm },
		TrustedProxies: d.networks(trusted),
		Ready:          d.Ready,
		Config:         func() any { return d.conf.Load().Redacted() },
		Paths:          pathLister{d.hub, d.conns},
		Gatherer:       d.registry,
		QueryToken:     func() bool { return d.conf.Load().AuthJWTInHTTPQuery },
		RefreshJWKS:    d.refreshJWKS,
		Info:           d.info,
		ConfigAPI:      configAPI{d},
		Conns:          d.conns,
		HLSMuxers:      d.hlsMuxers,
		Logger:         d.logger.With("component", "api"),
	}
}

// networks returns the networks sel picks from the running configuration,
// converted once per configuration (not per request: an HLS client asks
// for a part every 200 ms).
func (d *Daemon) networks(sel func(*config.Conf) []config.Network) func() []netip.Prefix {
	type compiled struct {
		conf *config.Conf
		nets []netip.Prefix
	}
	var memo atomic.Pointer[compiled]
	return func() []netip.Prefix {
		c := d.conf.Load()
		if m := memo.Load(); m != nil && m.conf == c {
			return m.nets
		}
		m := &compiled{conf: c, nets: config.Networks(sel(c))}
		memo.Store(m)
		return m.nets
	}
}

// httpListenerNames are the HTTP listeners, in start order.
var httpListenerNames = []string{"api", "metrics", "pprof", "gateway", "hls", "webrtc"}

// httpListenerFor builds one HTTP listener from c; enabled is false when c
// switches it off.
func (d *Daemon) httpListenerFor(c *config.Conf, name string) (httpListener, error) {
	var l httpListener
	var t struct {
		on              bool
		cert, key, peer string
		crl             bool
	}
	switch name {
	case "api":
		env := d.env(func(c *config.Conf) []config.Network { return c.APITrustedProxies },
			func(c *config.Conf) []string { return c.APIAllowOrigins })
		l = httpListener{name: name, enabled: c.API, addr: c.APIAddress, handler: env.APIHandler()}
		t.on, t.cert, t.key = c.APIEncryption, c.APIServerCert, c.APIServerKey
	case "metrics":
		env := d.env(func(c *config.Conf) []config.Network { return c.MetricsTrustedProxies },
			func(c *config.Conf) []string { return c.MetricsAllowOrigins })
		l = httpListener{name: name, enabled: c.Metrics, addr: c.MetricsAddress, handler: env.MetricsHandler()}
		t.on, t.cert, t.key = c.MetricsEncryption, c.MetricsServerCert, c.MetricsServerKey
	case "pprof":
		env := d.env(func(c *config.Conf) []config.Network { return c.PprofTrustedProxies },
			func(c *config.Conf) []string { return c.PprofAllowOrigins })
		l = httpListener{name: name, enabled: c.Pprof, addr: c.PprofAddress, handler: env.PprofHandler()}
		t.on, t.cert, t.key = c.PprofEncryption, c.PprofServerCert, c.PprofServerKey
	case "gateway":
		if !c.Gateway {
			return httpListener{name: name}, nil
		}
		gw := d.env(func(*config.Conf) []config.Network { return nil }, func(*config.Conf) []string { return nil })
		mux := http.NewServeMux()
		mux.HandleFunc("GET /health", httpapi.Health)
		mux.HandleFunc("GET /ready", gw.ReadyHandler)
		mux.Handle("/", &gateway.Handler{
			Auth:              d,
			Writer:            d.writer,
			Realm:             gw.Realm,
			MaxBodySize:       func() int64 { return int64(d.conf.Load().GatewayMaxBodySize) },
			MaxBodiesInFlight: func() int64 { return int64(d.conf.Load().GatewayMaxBodiesInFlight) },
			TrustedProxies:    gw.TrustedProxies,
			Metrics:           gateway.NewMetrics(d.registry),
			Logger:            d.logger.With("component", "gateway"),
		})
		l = httpListener{name: name, enabled: true, addr: c.GatewayAddress, handler: mux}
		t.on, t.cert, t.key, t.peer = c.GatewayEncryption, c.GatewayServerCert, c.GatewayServerKey, c.GatewayClientCA
		t.crl = c.GatewayClientCRL
	case "hls":
		l = d.hlsListener(c)
		t.on, t.cert, t.key = c.HLSEncryption, c.HLSServerCert, c.HLSServerKey
	case "webrtc":
		var err error
		if l, err = d.webrtcListener(c); err != nil {
			return l, err
		}
		t.on, t.cert, t.key = c.WebRTCEncryption, c.WebRTCServerCert, c.WebRTCServerKey
	}
	if t.on && l.enabled {
		cfg, err := serverTLS(t.cert, t.key)
		if err != nil {
			return l, fmt.Errorf("%s: %w", name, err)
		}
		if t.peer != "" {
			peers, err := gateway.NewPeers(gateway.PeersConfig{Path: t.peer, CRL: t.crl, Registerer: d.registry,
				Logger: d.logger.With("component", name)})
			if err != nil {
				return l, fmt.Errorf("%s: %w", name, err)
			}
			peers.Apply(cfg)
		}
		l.tls = cfg
	}
	return l, nil
}

// startHTTP starts one HTTP listener (nothing when c switches it off).
func (d *Daemon) startHTTP(c *config.Conf, name string) error {
	l, err := d.httpListenerFor(c, name)
	if err != nil || !l.enabled {
		return err
	}
	s, err := httpapi.Listen(httpapi.ServerConfig{
		Name: l.name, Address: l.addr, TLS: l.tls, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout,
		Handler: l.handler, Logger: d.logger, Limits: d.limits,
	})
	if err != nil {
		return err
	}
	d.servers = append(d.servers, runningHTTP{s, l.closeMedia})
	return nil
}

// stopHTTP stops the HTTP listener name, if it runs.
func (d *Daemon) stopHTTP(ctx context.Context, name string) error {
	var errs []error
	kept := d.servers[:0]
	for _, s := range d.servers {
		if s.Name() == name {
			errs = append(errs, s.shutdown(ctx))
			continue
		}
		kept = append(kept, s)
	}
	d.servers = kept
	return errors.Join(errs...)
}

// serverTLS loads a listener's certificate. Client certificates, where a
// listener asks for them (the gateway's gatewayClientCA), are checked by
// gateway.Peers, which re-reads its CAs and CRLs when they change.
func serverTLS(certFile, keyFile string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}, nil
}

// endpoint is one listener of a plain/TLS pair (rtsp/rtsps, rtmp/rtmps).
type endpoint struct {
	name, addr string
	tls        *tls.Config // nil: plain
}

// endpoints reads an rtspEncryption/rtmpEncryption setting: the plain
// listener runs with no and optional, the TLS one (name+"s") with optional
// and strict.
func endpoints(name, mode, plainAddr, secureAddr, certFile, keyFile string) ([]endpoint, error) {
	var out []endpoint
	if mode != "strict" {
		out = append(out, endpoint{name, plainAddr, nil})
	}
	if mode != "no" {
		cfg, err := serverTLS(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("%ss: %w", name, err)
		}
		out = append(out, endpoint{name + "s", secureAddr, cfg})
	}
	return out, nil
}
