// Package httpapi serves streamgate's HTTP control listeners — the API,
// Prometheus metrics and pprof — and the open /health and /ready endpoints
// every HTTP listener has.
package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/internal/panics"
)

// Server is one HTTP listener.
type Server struct {
	name   string
	ln     net.Listener
	srv    *http.Server
	logger *slog.Logger
	done   chan struct{}
}

// ServerConfig configures a Server.
type ServerConfig struct {
	// Name is the listener's name in logs: api, metrics, pprof, …
	Name string
	// Address is host:port; port 0 picks a free port.
	Address string
	// TLS, when set, serves HTTPS.
	TLS *tls.Config
	// ReadTimeout and WriteTimeout bound a request.
	ReadTimeout, WriteTimeout time.Duration
	Handler                   http.Handler
	Logger                    *slog.Logger
	// Limits counts connections against maxConnections and
	// maxConnectionsPerIP (past them: 503 + Retry-After) and records accept
	// failures; nil: no limits.
	Limits *netlimit.Limits
}

// Listen binds the address and starts serving. It logs the bound address
// ("listener started", listener=NAME, address=HOST:PORT).
func Listen(cfg ServerConfig) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", cfg.Name, cfg.Address, err)
	}
	ln = cfg.Limits.Listener(cfg.Name, ln, busy(cfg.TLS))
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	s := &Server{
		name:   cfg.Name,
		ln:     ln,
		logger: cfg.Logger,
		done:   make(chan struct{}),
		srv: &http.Server{
			// A panic in a handler aborts that request, logged and counted
			// as streamgate_panics_total{component=NAME}.
			Handler:           panics.Handler(cfg.Logger.With("component", cfg.Name), cfg.Name, noStore(cfg.Handler)),
			ReadHeaderTimeout: cfg.ReadTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			WriteTimeout:      cfg.WriteTimeout,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
		},
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("listener failed", "listener", s.name, "error", err)
		}
	}()
	s.logger.Info("listener started", "listener", cfg.Name, "address", ln.Addr().String(), "tls", cfg.TLS != nil)
	return s, nil
}

// noStore marks every answer of h "Cache-Control: no-store" unless h sets
// its own: nearly every answer of an HTTP listener was authenticated (API
// JSON, metrics, pprof, WHEP, player pages, the gateway) or says so (401,
// 403), and no shared cache may hand it to the next client. The few public
// or cacheable answers (hls.js, HLS media for its viewer) set their own.
func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Name is the listener's name.
func (s *Server) Name() string { return s.name }

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting and waits for requests in progress, up to ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	return err
}
