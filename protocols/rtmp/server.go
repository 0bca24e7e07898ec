// Package rtmp is the RTMP listener: publish and play over gortmplib, every
// connection authenticated through the pipeline in its own goroutine before
// the path is looked at. Credentials come from ?user=&pass= or ?token= in the
// app name or the stream key, wherever the client put them.
package rtmp

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Config configures one RTMP listener.
type Config struct {
	Name         string // rtmp or rtmps
	Address      string
	TLS          *tls.Config // RTMPS when set
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// WriteQueueSize bounds the units queued for one reader (default 512).
	WriteQueueSize int
	// Metrics may be shared by the rtmp and rtmps listeners; nil: not counted.
	Metrics *Metrics
	// Limits counts connections against maxConnections and
	// maxConnectionsPerIP and records accept failures; nil: no limits. A
	// connection over a limit is closed at once (RTMP has no busy answer
	// before its handshake).
	Limits *netlimit.Limits
	// Conns lists connections for the control API; nil: none.
	Conns *conns.Registry
}

// Server is one RTMP listener.
type Server struct {
	cfg    Config
	auth   authn.Authenticator
	hub    *stream.Hub
	logger *slog.Logger
	ln     net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen starts an RTMP listener publishing to and reading from hub.
func Listen(cfg Config, a authn.Authenticator, hub *stream.Hub, logger *slog.Logger) (*Server, error) {
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.WriteQueueSize <= 0 {
		cfg.WriteQueueSize = 512
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", cfg.Name, cfg.Address, err)
	}
	ln = cfg.Limits.Listener(cfg.Name, ln, nil)
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	s := &Server{cfg: cfg, auth: a, hub: hub, logger: logger, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Go(s.serve)
	logger.Info("listener started", "listener", cfg.Name, "address", ln.Addr().String(), "tls", cfg.TLS != nil)
	return s, nil
}

// Addr is the bound TCP address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, closes every connection (publications end, readers
// are dropped) and waits for their goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	for {
		// The limited listener retries failed accepts (out of descriptors
		// and the like) with back-off; it fails only once closed.
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(nc) {
			_ = nc.Close()
			return
		}
		s.wg.Go(func() {
			defer s.untrack(nc)
			// A panic ends this connection only (untrack closes it).
			defer panics.Recover(s.logger.With("remote", nc.RemoteAddr().String()), "rtmp", nil)
			c := &conn{srv: s, nc: nc}
			c.run()
		})
	}
}

func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[nc] = struct{}{}
	return true
}

func (s *Server) untrack(nc net.Conn) {
	_ = nc.Close()
	s.mu.Lock()
	delete(s.conns, nc)
	s.mu.Unlock()
}
