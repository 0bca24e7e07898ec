// Package webrtc is the WebRTC listener: WHEP playback of the hub's paths
// (H.264, VP8, VP9, AV1, Opus) for browsers and other WHEP players, and WHIP publishing
// into the hub (H.264, H.265, VP8, VP9, AV1, Opus), MediaMTX-compatible.
//
//	GET    /PATH            301 to /PATH/
//	GET    /PATH/           the player page (authenticated, so that the browser asks for credentials)
//	POST   /PATH/whep       an SDP offer → 201 with the answer and the session's Location
//	PATCH  /PATH/whep/ID    trickle ICE candidates (application/trickle-ice-sdpfrag) → 204
//	DELETE /PATH/whep/ID    ends the session → 200
//	GET    /PATH/publish    the publish page (camera and microphone, authenticated for publishing)
//	POST   /PATH/whip       a WHIP offer → 201 with the answer (see whip.go)
//	PATCH  /PATH/whip/ID    trickle ICE candidates of a WHIP session → 204
//	DELETE /PATH/whip/ID    ends the WHIP session (the publication) → 200
//	OPTIONS /PATH/whep|whip with credentials: 204 with the ICE servers (Link)
//	OPTIONS                 CORS preflight
//
// Every request but the redirect and the preflight is authenticated for
// reading PATH (publishing for the WHIP side). PATH may contain slashes.
package webrtc

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Config configures the WebRTC listener's media side.
type Config struct {
	// LocalUDPAddress is webrtcLocalUDPAddress: one UDP socket for all ICE
	// traffic (pion ice UDPMux); "" = ephemeral ports. On an unspecified
	// address (":8189") the interfaces' addresses are advertised as
	// IPsFromInterfaces says.
	LocalUDPAddress string
	// IPsFromInterfaces is webrtcIPsFromInterfaces: advertise interface
	// addresses as host candidates; false: loopback only.
	IPsFromInterfaces bool
	// AdditionalHosts is webrtcAdditionalHosts: extra host candidates (IPv4
	// addresses, or names resolved at start) advertised with the port of
	// each gathered candidate (NAT 1:1). Reachable through LocalUDPAddress
	// on an unspecified address, or with IPsFromInterfaces.
	AdditionalHosts []string
	// IPsFromInterfacesList is webrtcIPsFromInterfacesList: with
	// IPsFromInterfaces, only these interfaces' addresses are advertised
	// (empty: every interface's).
	IPsFromInterfacesList []string
	// HandshakeTimeout bounds ICE gathering and ICE+DTLS (default 10s).
	HandshakeTimeout time.Duration
	// TrackGatherTimeout is how long a WHIP publisher's tracks may take to
	// arrive once connected (default 2s).
	TrackGatherTimeout time.Duration
	// STUNGatherTimeout bounds the wait for server-reflexive candidates
	// from the STUN servers (default 5s).
	STUNGatherTimeout time.Duration
	// ICEServers is webrtcICEServers2: STUN/TURN servers for the server's
	// peer connections and, in the pages and Link headers, for
	// authenticated clients.
	ICEServers []ICEServer
	// KeyframeInterval is how often a WHIP publisher is asked for a keyframe
	// besides when a reader joins (default 2s).
	KeyframeInterval time.Duration
	// Now is the clock of TURN credentials; nil: time.Now.
	Now func() time.Time
	// Registerer registers the metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Logger logs sessions; nil: discarded.
	Logger *slog.Logger
	// Conns lists sessions for the control API; nil: none.
	Conns *conns.Registry
}

// Server answers WHEP requests for the paths of a hub.
type Server struct {
	cfg      Config
	gate     *httpauth.Gate
	hub      *stream.Hub
	logger   *slog.Logger
	logs     pionLogs
	metrics  *metrics
	settings webrtc.SettingEngine
	udpMux   ice.UDPMux // nil: ephemeral ports

	sessions   *table[*session]   // WHEP sessions
	publishers *table[*publisher] // WHIP sessions
}

var _ http.Handler = (*Server)(nil)

// New creates the server and, with LocalUDPAddress, opens its UDP socket.
func New(cfg Config, gate *httpauth.Gate, hub *stream.Hub) (*Server, error) {
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.TrackGatherTimeout <= 0 {
		cfg.TrackGatherTimeout = 2 * time.Second
	}
	if cfg.KeyframeInterval <= 0 {
		cfg.KeyframeInterval = keyframeInterval
	}
	if cfg.STUNGatherTimeout <= 0 {
		cfg.STUNGatherTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if gate == nil || hub == nil {
		return nil, errors.New("webrtc: a gate and a hub are required")
	}
	s := &Server{cfg: cfg, gate: gate, hub: hub, logger: cfg.Logger, logs: pionLogs{cfg.Logger},
		metrics: newMetrics(cfg.Registerer)}
	s.sessions = newTable[*session](s.metrics.sessions)
	s.publishers = newTable[*publisher](s.metrics.publishers)
	var err error
	if s.settings, s.udpMux, err = newSettingEngine(cfg, s.logs); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes every peer connection and the UDP mux.
func (s *Server) Close() {
	s.sessions.close("server closed")
	s.publishers.close("server closed")
	if s.udpMux != nil {
		_ = s.udpMux.Close()
	}
}

// ServeHTTP routes a request (see the package documentation).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := parseRoute(r.URL.Path)
	if rt.kind == routeWHEP || rt.kind == routeWHIP {
		w.Header().Set("Accept-Post", "application/sdp")
	}
	if s.serveICEOptions(w, r, rt) {
		return
	}
	if s.gate.CORS(w, r) {
		return
	}
	switch rt.kind {
	case routeRedirect:
		s.redirect(w, r)
	case routePage:
		s.servePage(w, r, rt)
	case routeWHEP:
		s.createSession(w, r, rt)
	case routeSession:
		switch r.Method {
		case http.MethodDelete:
			s.deleteSession(w, r, rt)
		case http.MethodPatch:
			s.patchSession(w, r, rt)
		default:
			allow(w, r, http.MethodDelete, http.MethodPatch)
		}
	case routePublishPage:
		s.servePublishPage(w, r, rt)
	case routeWHIP:
		s.createPublisher(w, r, rt)
	case routeWHIPSession:
		s.servePublisherSession(w, r, rt)
	case routeBadPath:
		http.Error(w, "invalid path name", http.StatusBadRequest)
	default:
		http.NotFound(w, r)
	}
}

// redirect sends /PATH to /PATH/, keeping the query (a token).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	if r.URL.Path == "/favicon.ico" {
		http.NotFound(w, r)
		return
	}
	to := r.URL.EscapedPath() + "/"
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", to)
	w.WriteHeader(http.StatusMovedPermanently)
}

// allow answers 405 unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	allowed := http.MethodOptions
	for _, m := range methods {
		allowed += ", " + m
	}
	w.Header().Set("Allow", allowed)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
