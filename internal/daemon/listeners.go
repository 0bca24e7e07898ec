package daemon

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/gateway"
	"github.com/streamgate/streamgate/protocols/httpapi"
	"github.com/streamgate/streamgate/protocols/stream"
)

// httpListener is one HTTP listener to start.
type httpListener struct {
	name    string
	enabled bool
	addr    string
	tls     *tls.Config
	handler http.Handler
}

// env is what one listener's handlers need; trusted selects the listener's
// trusted proxies from the configuration current at each request.
func (d *Daemon) env(trusted func(*config.Conf) []config.Network) *httpapi.Env {
	return &httpapi.Env{
		Auth:           d,
		Realm:          func() string { return d.conf.Load().AuthRealm },
		TrustedProxies: func() []netip.Prefix { return []netip.Prefix(config.Networks(trusted(d.conf.Load()))) },
		Ready:          d.Ready,
		Config:         func() any { return d.conf.Load().Redacted() },
		Paths:          pathLister{d.hub},
		Gatherer:       d.registry,
		QueryToken:     func() bool { return d.conf.Load().AuthJWTInHTTPQuery },
		RefreshJWKS:    d.refreshJWKS,
	}
}

func (d *Daemon) listeners(c *config.Conf) ([]httpListener, error) {
	api := d.env(func(c *config.Conf) []config.Network { return c.APITrustedProxies })
	metrics := d.env(func(c *config.Conf) []config.Network { return c.MetricsTrustedProxies })
	pprof := d.env(func(c *config.Conf) []config.Network { return c.PprofTrustedProxies })
	out := []httpListener{
		{"api", c.API, c.APIAddress, nil, api.APIHandler()},
		{"metrics", c.Metrics, c.MetricsAddress, nil, metrics.MetricsHandler()},
		{"pprof", c.Pprof, c.PprofAddress, nil, pprof.PprofHandler()},
	}
	if c.Gateway {
		gw := d.env(func(*config.Conf) []config.Network { return nil })
		mux := http.NewServeMux()
		mux.HandleFunc("GET /health", httpapi.Health)
		mux.HandleFunc("GET /ready", gw.ReadyHandler)
		mux.Handle("/", &gateway.Handler{
			Auth:           d,
			Writer:         d.writer,
			Realm:          gw.Realm,
			MaxBodySize:    func() int64 { return int64(d.conf.Load().GatewayMaxBodySize) },
			TrustedProxies: gw.TrustedProxies,
			Logger:         d.logger.With("component", "gateway"),
		})
		out = append(out, httpListener{"gateway", true, c.GatewayAddress, nil, mux})
	}
	out = append(out, d.hlsListener(c))
	tlsFor := map[string]struct {
		on              bool
		cert, key, peer string
	}{
		"api":     {c.APIEncryption, c.APIServerCert, c.APIServerKey, ""},
		"metrics": {c.MetricsEncryption, c.MetricsServerCert, c.MetricsServerKey, ""},
		"pprof":   {c.PprofEncryption, c.PprofServerCert, c.PprofServerKey, ""},
		"gateway": {c.GatewayEncryption, c.GatewayServerCert, c.GatewayServerKey, c.GatewayClientCA},
		"hls":     {c.HLSEncryption, c.HLSServerCert, c.HLSServerKey, ""},
	}
	for i := range out {
		if t := tlsFor[out[i].name]; t.on && out[i].enabled {
			cfg, err := serverTLS(t.cert, t.key, t.peer)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", out[i].name, err)
			}
			out[i].tls = cfg
		}
	}
	return out, nil
}

// serverTLS loads a certificate and, when peerCA is set, requires client
// certificates signed by it (a PEM file, or a directory of them as the Media
// Gateway's lookup_hash_directory).
func serverTLS(certFile, keyFile, peerCA string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if peerCA == "" {
		return cfg, nil
	}
	pool := x509.NewCertPool()
	files := []string{peerCA}
	if st, err := os.Stat(peerCA); err == nil && st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(peerCA, "*"))
	}
	for _, f := range files {
		if pem, err := os.ReadFile(f); err == nil {
			pool.AppendCertsFromPEM(pem)
		}
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}

// pathLister adapts the hub to GET /v3/paths/list.
type pathLister struct{ hub *stream.Hub }

func (l pathLister) ListPaths() []httpapi.PathInfo {
	live := l.hub.List()
	out := make([]httpapi.PathInfo, len(live))
	for i, p := range live {
		out[i] = httpapi.PathInfo{Name: p.Name, ConfName: p.ConfName, Ready: true,
			Source: &httpapi.Source{Type: p.Source.Protocol + "Session", ID: p.Source.ID},
			Tracks: p.Tracks, BytesReceived: p.BytesReceived, Readers: p.Readers}
	}
	return out
}

// encryption reads an rtspEncryption/rtmpEncryption setting: whether the
// plain listener runs (no, optional) and, for strict and optional, the TLS
// configuration of the encrypted one (nil when it does not run).
func encryption(mode, certFile, keyFile string) (plain bool, tlsCfg *tls.Config, err error) {
	if mode != "no" {
		if tlsCfg, err = serverTLS(certFile, keyFile, ""); err != nil {
			return false, nil, err
		}
	}
	return mode != "strict", tlsCfg, nil
}
