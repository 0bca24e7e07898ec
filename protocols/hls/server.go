// Package hls serves live paths over HLS (MPEG-TS, fMP4 and Low-Latency
// HLS, with gohlslib) and a player page with an embedded hls.js. Every
// request — page, playlist, segment, part — is authenticated for reading the
// path through the one pipeline, so a repeated request costs a decision
// cache lookup and a revoked user stops getting segments at once. Nothing is
// bound to the client's address: the credentials travel with each request
// (Basic, Bearer, ?token=), which works behind proxies and CDNs.
package hls

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Config configures the HLS listener (the hls* keys).
type Config struct {
	// Variant is mpegts, fmp4 or lowLatency (hlsVariant).
	Variant string
	// SegmentCount is how many segments a playlist keeps (hlsSegmentCount).
	SegmentCount int
	// SegmentDuration is the minimum segment duration (hlsSegmentDuration).
	SegmentDuration time.Duration
	// PartDuration is the minimum Low-Latency part duration (hlsPartDuration).
	PartDuration time.Duration
	// SegmentMaxSize caps a segment in bytes (hlsSegmentMaxSize).
	SegmentMaxSize uint64
	// MuxerCloseAfter closes a muxer nobody asked anything of for this long
	// (hlsMuxerCloseAfter); 0 keeps muxers until their publication ends.
	MuxerCloseAfter time.Duration
	// AlwaysRemux starts a muxer when a path is published instead of at its
	// first request (hlsAlwaysRemux); use Server.OnPublish as a hub hook.
	AlwaysRemux bool
	// Registerer receives the listener's metrics (a restarted listener takes
	// over those already there); nil: not registered.
	Registerer prometheus.Registerer
	// Logger receives the listener's logs.
	Logger *slog.Logger
	// Conns lists the HLS sessions for the control API; nil: none.
	Conns *conns.Registry
}

func (c *Config) variant() gohlslib.MuxerVariant {
	switch c.Variant {
	case "mpegts":
		return gohlslib.MuxerVariantMPEGTS
	case "fmp4":
		return gohlslib.MuxerVariantFMP4
	default:
		return gohlslib.MuxerVariantLowLatency
	}
}

// Server is the HLS listener's handler.
type Server struct {
	cfg     Config
	gate    *httpauth.Gate
	hub     *stream.Hub
	metrics *metrics

	mu       sync.Mutex
	muxers   map[string]*muxer
	closed   bool
	sessions sessions
}

// New builds the HLS handler; muxers start on demand.
func New(cfg Config, gate *httpauth.Gate, hub *stream.Hub) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, gate: gate, hub: hub, metrics: newMetrics(cfg.Registerer), muxers: map[string]*muxer{},
		sessions: sessions{hub: hub, live: map[sessionKey]*hlsSession{}}}
}

// OnPublish is a hub hook: with hlsAlwaysRemux it starts the path's muxer
// at once.
func (s *Server) OnPublish(p *stream.Publication) {
	if !s.cfg.AlwaysRemux {
		return
	}
	if _, err := s.muxerFor(p, true); err != nil && err != errNoTracks {
		s.cfg.Logger.Warn("hls muxer not started", "path", p.Name, "error", err)
	}
}

// ServeHTTP routes /PATH/ (player page), /PATH (redirect), /PATH/hls.min.js
// and /PATH/FILE (playlists, init files, segments, parts).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.gate.CORS(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	name, file, err := SplitPath(r.URL.Path)
	switch {
	case errors.Is(err, authz.ErrPathName):
		s.metrics.requests.WithLabelValues("refused").Inc()
		http.Error(w, "invalid path name", http.StatusBadRequest)
		return
	case err != nil:
		http.NotFound(w, r)
		return
	}
	switch file {
	case "":
		if !strings.HasSuffix(r.URL.Path, "/") {
			target := "/" + name + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
	case "hls.min.js":
		serveHLSJS(w, r) // a public asset: no path, no credentials
		return
	}
	id := s.gate.Check(w, r, authz.ActionRead, name)
	if id == nil {
		s.metrics.requests.WithLabelValues("refused").Inc()
		return
	}
	w = &cacheWriter{ResponseWriter: w, file: file}
	if file == "" {
		servePage(w, r)
		return
	}
	p, err := s.hub.Read(name, r.URL.RawQuery) // authorized: may wake an on-demand source
	if errors.Is(err, stream.ErrUnavailable) {
		s.metrics.requests.WithLabelValues("error").Inc()
		http.Error(w, "stream unavailable for now (cluster registry unreachable); retry later", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		s.metrics.requests.WithLabelValues("not_found").Inc()
		http.Error(w, "stream not found", http.StatusNotFound)
		return
	}
	m, err := s.muxerFor(p, false)
	if err != nil {
		s.metrics.requests.WithLabelValues("error").Inc()
		s.cfg.Logger.Info("hls refused", "path", name, "error", err)
		status := http.StatusServiceUnavailable
		if err == errNoTracks {
			status = http.StatusUnsupportedMediaType
		}
		http.Error(w, err.Error(), status)
		return
	}
	s.metrics.requests.WithLabelValues("served").Inc()
	s.sessions.seen(s, p, id, s.clientIP(r), r)
	m.handle(w, r)
}

// errNoStream: a URL that names no stream ("/", "/index.m3u8").
var errNoStream = errors.New("hls: no stream in the URL")

// SplitPath splits an HLS URL path into the stream path and the file name:
// "/a/b/index.m3u8" → ("a/b", "index.m3u8"), "/a/b/" and "/a/b" → ("a/b",
// ""). A last element with a known HLS suffix is a file. The error is
// errNoStream for a URL without a stream path, and wraps authz.ErrPathName
// for a path name that breaks the naming rules (authz.CheckPathName).
func SplitPath(p string) (name, file string, err error) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		name, file = p[:i], p[i+1:]
	} else if isHLSFile(p) {
		return "", "", errNoStream // a file without a path
	} else {
		name = p
	}
	if file != "" && !isHLSFile(file) {
		name, file = p, "" // "/a/b": the path a/b, redirected to /a/b/
	}
	if name == "" {
		return "", "", errNoStream
	}
	if err := authz.CheckPathName(name); err != nil {
		return "", "", err
	}
	return name, file, nil
}

func isHLSFile(f string) bool {
	for _, suffix := range []string{".m3u8", ".mp4", ".m4s", ".ts", ".js"} {
		if strings.HasSuffix(f, suffix) {
			return true
		}
	}
	return false
}

// muxerFor returns the muxer of p, starting it for the first reader.
func (s *Server) muxerFor(p *stream.Publication, keep bool) (*muxer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, stream.ErrNotPublished
	}
	if m, ok := s.muxers[p.Name]; ok && m.pub == p && !m.isClosed() {
		return m, nil
	}
	m, err := newMuxer(s, p, keep)
	if err != nil {
		return nil, err
	}
	s.muxers[p.Name] = m
	s.metrics.muxers.Set(float64(len(s.muxers)))
	s.cfg.Logger.Info("hls muxer started", "path", p.Name, "variant", s.cfg.Variant)
	return m, nil
}

// forget removes a closed muxer.
func (s *Server) forget(m *muxer) {
	s.mu.Lock()
	if s.muxers[m.pub.Name] == m {
		delete(s.muxers, m.pub.Name)
		s.metrics.muxers.Set(float64(len(s.muxers)))
	}
	s.mu.Unlock()
}

// Close stops every muxer; blocked playlist requests return.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	all := make([]*muxer, 0, len(s.muxers))
	for _, m := range s.muxers {
		all = append(all, m)
	}
	s.mu.Unlock()
	for _, m := range all {
		m.stop()
	}
	s.sessions.endWhere(func(sessionKey, *hlsSession) bool { return true })
}

// clientIP is the client's address behind the trusted proxies.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	var trusted []netip.Prefix
	if s.gate.TrustedProxies != nil {
		trusted = s.gate.TrustedProxies()
	}
	return httpauth.ClientIP(r, trusted)
}
