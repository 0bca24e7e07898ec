// Package srt is the SRT listener (gosrt): MPEG-TS publish and read, the
// caller's streamid authenticated through the pipeline in the connection's
// own goroutine before the path is looked at, and a rejected handshake for
// every failure.
package srt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	gosrt "github.com/datarhei/gosrt"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/stream"
)

// payloadSize is seven MPEG-TS packets, what ffmpeg's pkt_size=1316 sends.
const payloadSize = 7 * 188

// authTimeout bounds one authentication.
const authTimeout = 30 * time.Second

// Config configures one SRT listener.
type Config struct {
	// Name is the listener's name in logs and the key of its per-path state.
	Name    string
	Address string
	// ReadTimeout closes a connection whose peer has been silent that long,
	// and bounds how long a publisher may take to send its program tables.
	ReadTimeout time.Duration
	// Limits counts callers against maxConnections and maxConnectionsPerIP
	// (past them the handshake is rejected with REJX_OVERLOAD); nil: no
	// limits.
	Limits *netlimit.Limits
	// RefusalHold is how long after its handshake arrived a caller refused
	// for its credentials or permissions (SRT_REJX_UNAUTHORIZED,
	// SRT_REJX_FORBIDDEN; wrong, missing, quarantined) gets the rejection.
	// libsrt callers wait 3 s for an answer (SRTO_CONNTIMEO), and several
	// retry a refusal at once, forever (GStreamer srtsrc, srt-live-transmit
	// -a, VLC: some 35 attempts a second, each authenticated and logged);
	// held, they retry about once per hold. The same for every such refusal,
	// so it tells nothing. 0: DefaultRefusalHold; negative: none.
	RefusalHold time.Duration
	// Passphrases returns a path's srtPublishPassphrase and
	// srtReadPassphrase as configured now ("": none); nil: none anywhere.
	Passphrases func(path string) (publish, read string)
	// Conns lists connections for the control API; nil: none.
	Conns *conns.Registry
}

// DefaultRefusalHold is RefusalHold's default.
const DefaultRefusalHold = time.Second

// Server is one SRT listener.
type Server struct {
	cfg     Config
	auth    authn.Authenticator
	hub     *stream.Hub
	logger  *slog.Logger
	metrics *metrics
	ln      gosrt.Listener
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Listen binds the UDP socket and starts accepting SRT callers that publish
// to and read from hub.
func Listen(cfg Config, a authn.Authenticator, hub *stream.Hub, reg prometheus.Registerer, logger *slog.Logger) (*Server, error) {
	if cfg.Name == "" {
		cfg.Name = "srt"
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.RefusalHold == 0 {
		cfg.RefusalHold = DefaultRefusalHold
	}
	conf := gosrt.DefaultConfig()
	conf.PayloadSize = payloadSize
	conf.PeerIdleTimeout = cfg.ReadTimeout
	conf.ConnectionTimeout = cfg.ReadTimeout
	ln, err := gosrt.Listen("srt", cfg.Address, conf)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", cfg.Name, cfg.Address, err)
	}
	s := &Server{cfg: cfg, auth: a, hub: hub, logger: logger, metrics: newMetrics(reg), ln: ln}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Every publication SRT can carry gets one MPEG-TS fan-out for SRT readers.
	hub.OnPublish(func(p *stream.Publication) {
		if s.ctx.Err() == nil && muxable(p.Desc) {
			attachFanout(p, cfg.Name, s.metrics)
		}
	})
	logger.Info("listener started", "listener", cfg.Name, "address", ln.Addr().String(), "tls", false)
	s.wg.Go(s.accept)
	return s, nil
}

// Addr is the bound UDP address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the listener, closes its connections (publications end,
// readers are dropped) and waits for their goroutines.
func (s *Server) Close() {
	s.cancel()
	s.ln.Close()
	s.wg.Wait()
}

func (s *Server) accept() {
	for {
		req, err := s.accept1()
		if errors.Is(err, errHandshakePanic) {
			continue // a handshake gosrt could not parse; the listener goes on
		}
		if err != nil {
			if !errors.Is(err, gosrt.ErrListenerClosed) && s.ctx.Err() == nil {
				s.logger.Error("srt listener stopped", "error", err)
			}
			return
		}
		s.wg.Go(func() {
			s.handle(req)
		})
	}
}

// errHandshakePanic is accept1's answer when gosrt panicked on a handshake.
var errHandshakePanic = errors.New("srt: handshake parser panicked")

// accept1 waits for the next handshake. gosrt parses it in Accept2, in this
// goroutine: a parser panic (third_party/gosrt fixes the known one, issue 12)
// is recovered and counted, and costs that datagram only.
func (s *Server) accept1() (req gosrt.ConnRequest, err error) {
	defer panics.Recover(s.logger, "srt", func() { req, err = nil, errHandshakePanic })
	return s.ln.Accept2()
}

// session is one caller, from its handshake on.
type session struct {
	req    gosrt.ConnRequest
	sid    StreamID
	id     string
	areq   authn.Request
	logger *slog.Logger
	start  time.Time  // the handshake's arrival
	api    sessionAPI // the control API's view (api.go)
}

func (s *Server) handle(req gosrt.ConnRequest) {
	ss := &session{req: req, id: uuid.NewString(), start: time.Now()}
	ss.logger = s.logger.With("conn", ss.id, "remote", req.RemoteAddr().String())
	// A panic in this caller's code ends this caller only: the deferred
	// closes of publish/read have run by then; a handshake not answered yet
	// is rejected (after Accept, Reject does nothing).
	defer panics.Recover(ss.logger, "srt", func() { req.Reject(RejectIPE.Wire()) })
	defer s.register(ss)()
	release, err := s.cfg.Limits.Acquire(s.cfg.Name, remoteIP(req.RemoteAddr()))
	if err != nil {
		s.reject(ss, err)
		return
	}
	defer release()
	sid, err := ParseStreamID(req.StreamId())
	if err != nil {
		s.reject(ss, err)
		return
	}
	ss.sid = sid
	ss.logger = ss.logger.With("mode", sid.Mode.String(), "path", sid.Path)
	action := authz.ActionRead
	if sid.Mode == ModePublish {
		action = authz.ActionPublish
	}
	ss.areq = authn.Request{Action: action, Path: sid.Path, Protocol: authn.ProtocolSRT, IP: remoteIP(req.RemoteAddr()),
		Credentials: sid.Credentials(), Query: sid.Query, ID: ss.id}
	if action == authz.ActionPublish {
		// The label rule against the path's savantLabels, in the same pass.
		ss.areq.Labels = s.hub.PublishLabels(sid.Path)
	}
	// Credentials first: an unauthenticated caller learns nothing of the path.
	id, err := s.authenticate(ss.areq)
	if err != nil {
		s.reject(ss, err)
		return
	}
	ss.api.noteAuth(ss, id)
	if sid.Mode == ModePublish {
		s.publish(ss, id)
	} else {
		s.read(ss, id)
	}
}

// authenticate runs the pipeline; whatever it fails with is an *authn.Error.
func (s *Server) authenticate(r authn.Request) (*authn.Identity, error) {
	ctx, cancel := context.WithTimeout(s.ctx, authTimeout)
	defer cancel()
	id, err := s.auth.Authenticate(ctx, &r)
	if err != nil {
		var ae *authn.Error
		if !errors.As(err, &ae) {
			err = &authn.Error{Kind: authn.KindUnavailable, Reason: "authentication failed", Err: err}
		}
		return nil, err
	}
	return id, nil
}

func (s *Server) reject(ss *session, err error) {
	code := rejection(err)
	if code == RejectUnauthorized || code == RejectForbidden {
		s.hold(ss)
	}
	ss.req.Reject(code.Wire())
	s.metrics.reject(code)
	ss.logger.Info("srt connection rejected", "code", uint32(code), "reason", err.Error())
}

// hold waits until RefusalHold has passed since ss's handshake arrived, or
// the server closes.
func (s *Server) hold(ss *session) {
	wait := time.Until(ss.start.Add(s.cfg.RefusalHold))
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
}

// answer accepts the handshake; the connection closes when the server does.
func (s *Server) answer(ss *session) (gosrt.Conn, bool) {
	conn, err := ss.req.Accept()
	if err != nil {
		ss.logger.Info("srt handshake failed", "error", err)
		return nil, false
	}
	ss.api.setConn(conn)
	return conn, true
}

// closeWhenDone closes conn when done is closed or the returned stop is called.
func closeWhenDone(conn gosrt.Conn, done <-chan struct{}, logger *slog.Logger) (stop func()) {
	quit := make(chan struct{})
	go func() {
		defer panics.Recover(logger, "srt", func() { conn.Close() })
		select {
		case <-done:
			conn.Close()
		case <-quit:
		}
	}()
	return func() { close(quit) }
}
