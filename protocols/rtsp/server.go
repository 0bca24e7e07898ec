// Package rtsp is the RTSP listener: publish (ANNOUNCE/RECORD) and read
// (DESCRIBE/SETUP/PLAY) over gortsplib v5, every request authenticated
// through the pipeline in its connection's own goroutine.
package rtsp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/auth"
	"github.com/bluenviron/gortsplib/v5/pkg/base"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Config configures one RTSP listener.
type Config struct {
	Name        string // rtsp or rtsps
	Address     string
	RTPAddress  string // empty: no UDP
	RTCPAddress string
	TLS         *tls.Config
	// ClientCAs, when set, is the pool a TLS client's certificate must
	// chain to for authn.Request.ClientCertVerified (the cluster CA: the
	// peer credential needs it). The listener checks it itself after the
	// handshake; TLS should only request certificates
	// (tls.RequestClientCert), so that an ordinary client presenting one
	// of another CA is served as one without.
	ClientCAs    *x509.CertPool
	ReadTimeout  time.Duration // a read, and the silence of an idle connection or reading session
	WriteTimeout time.Duration
	AuthMethods  []string // basic, digest
	// Transports are the allowed transports (udp, multicast, tcp); empty allows all.
	Transports     []string
	WriteQueueSize int
	// Limits counts connections against maxConnections and
	// maxConnectionsPerIP and records accept failures; nil: no limits.
	Limits *netlimit.Limits
	// Metrics are the counters rtsp and rtsps share; nil: not counted.
	Metrics *Metrics
	// Conns lists connections and sessions for the control API; nil: none.
	Conns *conns.Registry
}

// Server is one RTSP listener.
type Server struct {
	cfg    Config
	auth   authn.Authenticator
	hub    *stream.Hub
	logger *slog.Logger
	srv    *gortsplib.Server
	m      *listenerMetrics
	closed atomic.Bool
	// digest: rtspAuthMethods offers Digest challenges; basic: Basic ones
	// (and Basic answers are accepted).
	digest, basic bool
	// sessions are the open sessions' data by session, for the control
	// API (a session's user data is not safe to read from elsewhere).
	sessions sync.Map
	// connEnds: the hub's end of each connection that authenticated once
	// (runOnDisconnect), by *gortsplib.ServerConn.
	connEnds sync.Map
}

// Listen starts an RTSP listener publishing to and reading from hub.
func Listen(cfg Config, a authn.Authenticator, hub *stream.Hub, logger *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, auth: a, hub: hub, logger: logger, m: cfg.Metrics.forListener(cfg.Name),
		digest: slices.Contains(cfg.AuthMethods, "digest"),
		basic:  len(cfg.AuthMethods) == 0 || slices.Contains(cfg.AuthMethods, "basic")}
	methods, err := verifyMethods(cfg.AuthMethods)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	s.srv = &gortsplib.Server{
		Handler:        s,
		RTSPAddress:    cfg.Address,
		UDPRTPAddress:  cfg.RTPAddress,
		UDPRTCPAddress: cfg.RTCPAddress,
		TLSConfig:      cfg.TLS,
		ReadTimeout:    cfg.ReadTimeout,
		// Idle connections and sessions get readTimeout too, not
		// gortsplib's 60 s (the Session header tells clients to send
		// keepalives well before: readTimeout − 5 s, at least 1 s).
		IdleTimeout:    cfg.ReadTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		WriteQueueSize: max(cfg.WriteQueueSize, 256),
		AuthMethods:    methods,
		Listen: func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, address)
			if err != nil {
				return nil, err
			}
			// gortsplib stops for good at the first failed accept: the
			// limited listener backs off and retries instead, and returns
			// an error only once closed.
			return coalescingListener{cfg.Limits.Listener(cfg.Name, ln, busy(cfg.TLS)), cfg.WriteTimeout, s.m}, nil
		},
	}
	if err := s.srv.Start(); err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", cfg.Name, cfg.Address, err)
	}
	go s.watch()
	// Every publication gets an RTSP fan-out on every RTSP listener, so the
	// readers of a listener share one copy. The fan-out of the listener an
	// RTSP publisher came in on gets its packets as they are (forward);
	// every other one is fed from the hub's units, re-packetized.
	hub.OnPublish(func(p *stream.Publication) {
		st := &gortsplib.ServerStream{Server: s.srv, Desc: p.Desc}
		if err := st.Initialize(); err != nil {
			s.logger.Error("rtsp stream", "path", p.Name, "error", err)
			return
		}
		p.Attach(s.cfg.Name, st)
		go func() {
			defer panics.Recover(s.logger, "rtsp", nil)
			<-p.Done()
			st.Close()
		}()
		if !s.forwardsPackets(p) {
			feedFromUnits(s.cfg.Name, p, st)
		}
	})
	logger.Info("listener started", "listener", cfg.Name, "address", s.srv.NetListener().Addr().String(), "tls", cfg.TLS != nil)
	return s, nil
}

// errPanicked ends a connection whose request handler panicked.
var errPanicked = errors.New("rtsp: internal error")

// panicked is the answer of a callback that panicked: 500, and an error,
// which makes gortsplib close the connection after writing it.
func panicked() (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusInternalServerError}, errPanicked
}

// verifyMethods maps rtspAuthMethods to the challenges offered: basic,
// digest (MD5), or both. A Digest answer can only be checked against a
// plain password (internal users, the per-service credentials): users with
// hashed passwords, tokens and external backends need Basic.
func verifyMethods(names []string) ([]auth.VerifyMethod, error) {
	var out []auth.VerifyMethod
	if len(names) == 0 || slices.Contains(names, "basic") {
		out = append(out, auth.VerifyMethodBasic)
	}
	if slices.Contains(names, "digest") {
		out = append(out, auth.VerifyMethodDigestMD5)
	}
	if len(out) == 0 {
		return nil, errors.New("rtspAuthMethods: want basic, digest or both")
	}
	return out, nil
}

// Close stops the listener and closes its connections.
func (s *Server) Close() {
	s.closed.Store(true)
	s.srv.Close()
}

// watch reports a server that stopped by itself: logged as an error, and
// the listener counts as down (/ready 503) until it is started again.
func (s *Server) watch() {
	err := s.srv.Wait()
	if s.closed.Load() {
		return
	}
	s.logger.Error("listener stopped", "listener", s.cfg.Name, "error", err)
	s.cfg.Limits.MarkDown(s.cfg.Name, err)
}

// Addr is the bound TCP address.
func (s *Server) Addr() string { return s.srv.NetListener().Addr().String() }

func (s *Server) transportAllowed(t *gortsplib.SessionTransport) bool {
	if len(s.cfg.Transports) == 0 || t == nil {
		return true
	}
	name := "tcp"
	switch t.Protocol {
	case gortsplib.ProtocolUDP:
		name = "udp"
	case gortsplib.ProtocolUDPMulticast:
		name = "multicast"
	}
	return slices.Contains(s.cfg.Transports, name)
}

// OnConnClose implements gortsplib.ServerHandlerOnConnClose: why a
// connection ended, for debugging clients.
func (s *Server) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	defer panics.Recover(s.logger, "rtsp", nil)
	s.m.conns.Dec()
	closeConn(ctx.Conn)
	if end, ok := s.connEnds.LoadAndDelete(ctx.Conn); ok {
		end.(func())()
	}
	s.logger.Debug("connection closed", "listener", s.cfg.Name, "remote", ctx.Conn.NetConn().RemoteAddr().String(), "error", ctx.Error)
}
