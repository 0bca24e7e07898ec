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

// env is what one listener's handlers need, its trusted proxies and CORS
// origins read from the configuration current at each request.
func (d *Daemon) env(name string) *httpapi.Env {
	view := d.listenerView(name)
	return &httpapi.Env{
		AllowOrigins:   func() []string { return view().AllowOrigins },
		Auth:           d,
		Realm:          func() string { return d.conf.Load().AuthRealm },
		TrustedProxies: func() []netip.Prefix { return view().proxies },
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
		Cluster:        d.clusterList(),
		ClusterKick:    d.clusterKick(),
	}
}

// listenerView is the listener called name as the running configuration
// describes it (config.Listener), its trusted proxies converted: computed
// once per configuration, not per request (an HLS client asks for a part
// every 200 ms).
type listenerView struct {
	config.Listener
	proxies []netip.Prefix
}

func (d *Daemon) listenerView(name string) func() *listenerView {
	type compiled struct {
		conf *config.Conf
		view *listenerView
	}
	var memo atomic.Pointer[compiled]
	return func() *listenerView {
		c := d.conf.Load()
		if m := memo.Load(); m != nil && m.conf == c {
			return m.view
		}
		l, _ := c.ListenerNamed(name)
		m := &compiled{conf: c, view: &listenerView{Listener: l, proxies: config.Networks(l.TrustedProxies)}}
		memo.Store(m)
		return m.view
	}
}

// httpListenerNames are the HTTP listeners, in start order.
var httpListenerNames = []string{"api", "metrics", "pprof", "gateway", "hls", "webrtc"}

// httpListenerFor builds one HTTP listener from c; enabled is false when c
// switches it off.
func (d *Daemon) httpListenerFor(c *config.Conf, name string) (httpListener, error) {
	var l httpListener
	lc, _ := c.ListenerNamed(name)
	switch name {
	case "api":
		l = httpListener{name: name, enabled: lc.Enabled, addr: lc.Addr, handler: d.env(name).APIHandler()}
	case "metrics":
		l = httpListener{name: name, enabled: lc.Enabled, addr: lc.Addr, handler: d.env(name).MetricsHandler()}
	case "pprof":
		l = httpListener{name: name, enabled: lc.Enabled, addr: lc.Addr, handler: d.env(name).PprofHandler()}
	case "gateway":
		if !lc.Enabled {
			return httpListener{name: name}, nil
		}
		gw := d.env(name)
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
		l = httpListener{name: name, enabled: true, addr: lc.Addr, handler: mux}
	case "hls":
		l = d.hlsListener(c)
	case "webrtc":
		var err error
		if l, err = d.webrtcListener(c); err != nil {
			return l, err
		}
	}
	t := struct {
		on              bool
		cert, key, peer string
		crl             bool
	}{lc.TLS, lc.Cert, lc.Key, lc.ClientCA, lc.ClientCRL}
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
