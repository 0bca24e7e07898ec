package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/httpauth"
)

// PathLister lists the active paths for GET /v3/paths/list.
type PathLister interface {
	ListPaths() []PathInfo
}

// PathInfo is one item of /v3/paths/list (MediaMTX's shape; its
// deprecated fields too, which older dashboards read).
type PathInfo struct {
	Name     string  `json:"name"`
	ConfName string  `json:"confName"`
	Source   *Source `json:"source"`
	// Available, Online and Ready (deprecated) say the path has a publisher.
	Available     bool       `json:"available"`
	AvailableTime *time.Time `json:"availableTime"`
	Online        bool       `json:"online"`
	OnlineTime    *time.Time `json:"onlineTime"`
	Ready         bool       `json:"ready"`
	ReadyTime     *time.Time `json:"readyTime"`
	// Tracks are the codecs (deprecated); Tracks2 the tracks.
	Tracks               []string `json:"tracks"`
	Tracks2              []Track  `json:"tracks2"`
	InboundBytes         uint64   `json:"inboundBytes"`
	OutboundBytes        uint64   `json:"outboundBytes"`
	InboundFramesInError uint64   `json:"inboundFramesInError"`
	BytesReceived        uint64   `json:"bytesReceived"`
	BytesSent            uint64   `json:"bytesSent"`
	Readers              []Reader `json:"readers"`
	// ReaderCount is streamgate's: the readers the hub counts (an HLS
	// muxer counts as one).
	ReaderCount int `json:"readerCount"`
}

// Track is one track of a path.
type Track struct {
	Codec string `json:"codec"`
	// CodecProps are not reported (null).
	CodecProps map[string]any `json:"codecProps"`
}

// Reader is one reader of a path: its type (rtspSession, rtmpConn, …) and
// the ID of its item in the matching list.
type Reader struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Source describes a path's publisher.
type Source struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Env is what handlers need from the daemon; fields are read per request so
// that a reload takes effect at once.
type Env struct {
	Auth           authn.Authenticator
	Realm          func() string
	TrustedProxies func() []netip.Prefix
	Ready          func() bool
	Paths          PathLister
	// Config returns the running configuration with every secret redacted.
	Config   func() any
	Gatherer prometheus.Gatherer
	// QueryToken, when it returns true, accepts a token from ?token= and
	// ?jwt= (authJWTInHTTPQuery); nil: never.
	QueryToken func() bool
	// AllowOrigins are the listener's CORS origins (apiAllowOrigins,
	// metricsAllowOrigins, pprofAllowOrigins; see httpauth.CORS).
	AllowOrigins func() []string
	// RefreshJWKS fetches the jwt backend's JWKS now (POST
	// /v3/auth/jwks/refresh). It returns ErrNoJWKS when authMethod has no
	// jwt backend; nil answers 404 as well.
	RefreshJWKS func(ctx context.Context) error
	// Info answers GET /v3/info; nil: empty.
	Info func() Info
	// ConfigAPI reads and edits the configuration (/v3/config/…); nil:
	// those answer 500.
	ConfigAPI ConfigAPI
	// Conns are the listeners' live connections and sessions; nil: none.
	Conns *conns.Registry
	// HLSMuxers lists the HLS muxers; nil: none.
	HLSMuxers func() []conns.HLSMuxer
	// Logger logs kicks; nil: not logged.
	Logger *slog.Logger
	// Cluster lists the cluster's instances (GET /v3/cluster/list); nil:
	// the cluster is off (503).
	Cluster func() ([]ClusterMember, error)
	// ClusterKick ends a user's sessions on every instance of the cluster
	// (POST /v3/cluster/kick) and returns how many ended here; an error
	// when the kick did not reach the cluster. nil: the cluster is off.
	ClusterKick func(ctx context.Context, user string) (int, error)
}

// ClusterMember is one item of /v3/cluster/list: a registered instance and
// the paths it publishes.
type ClusterMember struct {
	Name    string    `json:"name"`
	Address string    `json:"address"`
	State   string    `json:"state"`
	Paths   []string  `json:"paths"`
	Since   time.Time `json:"since"`
}

// ErrNoJWKS: authMethod has no jwt backend (POST /v3/auth/jwks/refresh → 404).
var ErrNoJWKS = errors.New("httpapi: no jwt backend configured")

// Health answers 200 to anyone.
func Health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"healthy"}`))
}

// Ready answers 200 once the daemon is fully up, 503 before.
func (e *Env) ReadyHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if e.Ready == nil || !e.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"starting"}`))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ready"}`))
}

// Guard authenticates every request for action before next runs.
func (e *Env) Guard(action authz.Action, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := authn.Request{
			Action:      action,
			Protocol:    authn.ProtocolHTTP,
			IP:          httpauth.ClientIP(r, e.TrustedProxies()),
			Credentials: httpauth.Credentials(r, httpauth.Options{QueryToken: e.QueryToken != nil && e.QueryToken()}),
			Query:       r.URL.RawQuery,
		}
		if _, err := e.Auth.Authenticate(r.Context(), &req); err != nil {
			httpauth.WriteError(w, err, e.Realm())
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (e *Env) base() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", Health)
	mux.HandleFunc("GET /ready", e.ReadyHandler)
	return mux
}

// APIHandler serves the control API.
func (e *Env) APIHandler() http.Handler {
	mux := e.base()
	api := http.NewServeMux()
	e.v3(api)
	api.HandleFunc("GET /v3/config/get", e.configGet)
	api.HandleFunc("POST /v3/auth/jwks/refresh", e.jwksRefresh)
	api.HandleFunc("POST /v3/cluster/kick", e.clusterKick)
	mux.Handle("/", e.Guard(authz.ActionAPI, api))
	return e.cors(mux)
}

// cors puts the listener's CORS handling in front of h.
func (e *Env) cors(h http.Handler) http.Handler {
	return httpauth.CORS{AllowOrigins: e.AllowOrigins}.Wrap(h)
}

func (e *Env) configGet(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, e.Config())
}

// jwksRefresh answers 200 once the JWKS was fetched again, 404 without a
// jwt backend, 503 when the JWKS cannot be fetched (the last good keys stay
// in use; the log has the cause).
func (e *Env) jwksRefresh(w http.ResponseWriter, r *http.Request) {
	err := ErrNoJWKS
	if e.RefreshJWKS != nil {
		err = e.RefreshJWKS(r.Context())
	}
	switch {
	case err == nil:
		writeOK(w)
	case errors.Is(err, ErrNoJWKS):
		writeError(w, http.StatusNotFound, "authMethod has no jwt backend")
	default:
		writeError(w, http.StatusServiceUnavailable, "the JWKS could not be fetched; the last good keys stay in use")
	}
}

// writeError writes MediaMTX's error body, {"status": "error", "error":
// "…"}.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "error": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// MetricsHandler serves Prometheus text at /metrics.
func (e *Env) MetricsHandler() http.Handler {
	mux := e.base()
	mux.Handle("/metrics", e.Guard(authz.ActionMetrics, promhttp.HandlerFor(e.Gatherer, promhttp.HandlerOpts{})))
	return e.cors(mux)
}

// PprofHandler serves net/http/pprof under /debug/pprof/.
func (e *Env) PprofHandler() http.Handler {
	mux := e.base()
	p := http.NewServeMux()
	p.HandleFunc("/debug/pprof/", pprof.Index)
	p.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	p.HandleFunc("/debug/pprof/profile", pprof.Profile)
	p.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	p.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/pprof/", e.Guard(authz.ActionPprof, p))
	return e.cors(mux)
}
