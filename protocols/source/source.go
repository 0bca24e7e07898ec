// Package source pulls a path's stream from another server (a camera, an
// origin) and publishes it into the stream hub exactly as a publisher
// would: every reader protocol, authentication and the Savant output work
// unchanged. One Runner a path; it reconnects with backoff when the source
// drops or refuses. The URL may hold credentials: it is shown only
// through internal/redact.
package source

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/internal/redact"
	"github.com/streamgate/streamgate/protocols/stream"
	sgwebrtc "github.com/streamgate/streamgate/protocols/webrtc"
)

// The kinds of source, the label values of the metrics.
var kinds = []string{"rtsp", "rtmp", "srt", "hls", "udp", "whep"}

// Retry bounds: the pause after a failure starts at RetryMin and doubles up
// to RetryMax; it starts again from RetryMin after a source that had been
// publishing for longer than RetryMax.
const (
	RetryMin = 500 * time.Millisecond
	RetryMax = 2 * time.Second
)

// States of a source, for the API.
const (
	StateIdle       = "idle"       // on demand, no reader: not connected
	StateConnecting = "connecting" // connecting, or waiting for the tracks
	StateReady      = "ready"      // publishing
	StateError      = "error"      // failed; a retry is scheduled
)

// Options are one path's source settings (mapped from the configuration by
// the daemon).
type Options struct {
	// Path is the path name the source publishes.
	Path string
	// URL is the source: rtsp://, rtsps://, rtmp://, rtmps://, srt://,
	// http(s):// (HLS), udp:// or udp+mpegts:// (MPEG-TS), whep(s)://.
	URL string
	// Fingerprint pins the SHA-256 of the TLS certificate (hex).
	Fingerprint string
	// RTSPTransport is "" or automatic, udp, multicast, tcp.
	RTSPTransport string
	// RTSPAnyPort accepts RTP from any port.
	RTSPAnyPort bool
	// RTSPRangeType (clock, npt, smpte or "") and RTSPRangeStart make the
	// Range of the PLAY request.
	RTSPRangeType, RTSPRangeStart string
	// ReadTimeout bounds each read (and the wait for the tracks);
	// WriteTimeout each write.
	ReadTimeout, WriteTimeout time.Duration
	// Peer, when set, makes the source a cluster relay: the stream of the
	// cluster instance named Peer (stream.SourceInfo.Peer, type
	// clusterPeer).
	Peer string
	// TLS, when set, is the TLS configuration of an rtsps:// source in
	// place of the system roots or Fingerprint (a cluster relay's mutual
	// TLS).
	TLS *tls.Config
	// WebRTC are the peer connection settings of a whep(s):// source.
	WebRTC WebRTCOptions
}

// WebRTCOptions are a whep(s):// source's peer connection settings, the
// WebRTC listener's (webrtcICEServers2, webrtcHandshakeTimeout,
// webrtcTrackGatherTimeout, webrtcSTUNGatherTimeout).
type WebRTCOptions struct {
	// ICEServers are the STUN/TURN servers (webrtcICEServers2; the
	// client-only ones are not used, TURN shared secrets give fresh
	// credentials to each connection).
	ICEServers []sgwebrtc.ICEServer
	// HandshakeTimeout bounds ICE gathering and ICE+DTLS (default 10s).
	HandshakeTimeout time.Duration
	// TrackGatherTimeout is how long the tracks may take to arrive once
	// connected (default 2s).
	TrackGatherTimeout time.Duration
	// STUNGatherTimeout bounds the wait for server-reflexive candidates
	// (default 5s).
	STUNGatherTimeout time.Duration
}

// Kind is the kind of source a URL names (rtsp, rtmp, srt, hls, udp, whep), or
// an error for a scheme streamgate does not pull.
func Kind(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", redact.Error(fmt.Errorf("source: %w", err))
	}
	switch strings.ToLower(u.Scheme) {
	case "rtsp", "rtsps":
		return "rtsp", nil
	case "rtmp", "rtmps":
		return "rtmp", nil
	case "srt":
		return "srt", nil
	case "http", "https":
		return "hls", nil
	case "udp", "udp+mpegts":
		return "udp", nil
	case "whep", "wheps":
		return "whep", nil
	}
	return "", fmt.Errorf("source: scheme %q is not supported", u.Scheme)
}

// Runner pulls one path's source. It is the path's stream.Demand.
type Runner struct {
	opts    Options
	kind    string
	hub     *stream.Hub
	metrics *Metrics
	logger  *slog.Logger
	run     func(ctx context.Context, s *session) error

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	state  string
}

var _ stream.Demand = (*Runner)(nil)

// New returns the runner of o; nothing connects until Start.
func New(o Options, hub *stream.Hub, m *Metrics, logger *slog.Logger) (*Runner, error) {
	kind, err := Kind(o.URL)
	if err != nil {
		return nil, err
	}
	r := &Runner{opts: o, kind: kind, hub: hub, metrics: m, state: StateIdle,
		logger: logger.With("path", o.Path, "source", redact.URL(o.URL)), run: runners[kind]}
	return r, nil
}

// runners read a source for one session (Runner.once), by the Kind of its
// URL.
var runners = map[string]func(ctx context.Context, s *session) error{
	"rtsp": runRTSP,
	"rtmp": runRTMP,
	"srt":  runSRT,
	"hls":  runHLS,
	"udp":  runUDP,
	"whep": runWHEP,
}

// Start connects (in the background) and keeps the source published,
// reconnecting, until Stop. Starting a running source does nothing.
func (r *Runner) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	r.state = StateConnecting
	go r.loop(ctx, r.done)
}

// Stop disconnects and returns once the publication is closed.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	r.setState(StateIdle)
}

// State is the source's state: idle, connecting, ready or error.
func (r *Runner) State() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *Runner) setState(s string) {
	r.mu.Lock()
	r.state = s
	r.mu.Unlock()
}

func (r *Runner) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	pause := RetryMin
	for {
		r.setState(StateConnecting)
		r.logger.Debug("source connecting")
		s := &session{r: r, ctx: ctx}
		err := r.once(ctx, s)
		if ctx.Err() != nil {
			return
		}
		if !s.readySince.IsZero() && time.Since(s.readySince) > RetryMax {
			pause = RetryMin // it had been publishing: retry soon
		}
		r.metrics.errors.WithLabelValues(r.kind).Inc()
		r.setState(StateError)
		r.logger.Warn("source failed; retrying", "error", redact.Error(err), "retry_in", pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, RetryMax)
	}
}

// errPanicked ends a session whose code panicked (a camera's garbage
// reaching a bug): logged, counted, and retried like any failure.
var errPanicked = errors.New("source: internal error")

// once runs one connection; a panic in it ends that connection only.
func (r *Runner) once(ctx context.Context, s *session) (err error) {
	defer panics.Recover(r.logger, "source", func() { err = errPanicked })
	defer s.close()
	err = r.run(ctx, s)
	if err == nil {
		err = errors.New("source: the stream ended")
	}
	return err
}

// session is one connection to the source.
type session struct {
	r          *Runner
	ctx        context.Context
	pub        *stream.Publication
	readySince time.Time
}

// trackRoute is a pulled track and the media it is published as.
type trackRoute[T any] struct {
	t T
	m *description.Media
}

// trackMedias maps each track onto a media of one format, as formatOf
// says (a nil format: the track is left out), and returns the session
// description to publish with the routes, in the order of tracks.
func trackMedias[T any](tracks []T, formatOf func(T) (format.Format, description.MediaType)) (*description.Session, []trackRoute[T]) {
	desc := &description.Session{}
	var routes []trackRoute[T]
	for _, t := range tracks {
		f, typ := formatOf(t)
		if f == nil {
			continue
		}
		m := &description.Media{Type: typ, Formats: []format.Format{f}}
		desc.Medias = append(desc.Medias, m)
		routes = append(routes, trackRoute[T]{t, m})
	}
	return desc, routes
}

// publish makes the source the path's publisher with desc's tracks.
func (s *session) publish(desc *description.Session) (*stream.Publication, error) {
	if len(desc.Medias) == 0 {
		return nil, errNoTracks
	}
	src := stream.SourceInfo{Protocol: s.r.kind + "Source", Type: s.r.kind + "Source", ID: s.r.kind, Pulled: true}
	if peer := s.r.opts.Peer; peer != "" {
		src = stream.SourceInfo{Protocol: "clusterPeer", Type: "clusterPeer", ID: peer, Pulled: true, Peer: peer}
	}
	p, err := s.r.hub.Publish(s.r.opts.Path, desc, src)
	if err != nil {
		return nil, err
	}
	s.pub, s.readySince = p, time.Now()
	s.r.metrics.connected.WithLabelValues(s.r.kind).Inc()
	s.r.setState(StateReady)
	s.r.logger.Info("source ready", "tracks", len(desc.Medias))
	return p, nil
}

func (s *session) close() {
	if s.pub != nil {
		s.pub.Close()
		s.r.metrics.connected.WithLabelValues(s.r.kind).Dec()
		s.pub = nil
	}
}

var errNoTracks = errors.New("source: the stream has no supported track (H264, H265, AAC, Opus)")
