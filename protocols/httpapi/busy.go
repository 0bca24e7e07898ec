package httpapi

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"

	"github.com/streamgate/streamgate/internal/netlimit"
)

// maxBusyRequest bounds what is read of a refused connection's request.
const maxBusyRequest = 64 << 10

// busyAnswer is what a connection over maxConnections or
// maxConnectionsPerIP gets to its first request.
const busyAnswer = "HTTP/1.1 503 Service Unavailable\r\n" +
	"Retry-After: 1\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Length: 21\r\n" +
	"Connection: close\r\n\r\n" +
	"too many connections\n"

// busy answers a refused connection 503 with Retry-After, after reading its
// request head (so that closing does not reset the answer away). Over TLS
// it offers HTTP/1.1 only.
func busy(cfg *tls.Config) netlimit.BusyFunc {
	if cfg != nil {
		cfg = cfg.Clone()
		cfg.NextProtos = []string{"http/1.1"}
	}
	return func(c net.Conn) {
		if cfg != nil {
			tc := tls.Server(c, cfg)
			defer tc.Close()
			c = tc
		}
		if _, err := http.ReadRequest(bufio.NewReader(io.LimitReader(c, maxBusyRequest))); err != nil {
			return
		}
		_, _ = io.WriteString(c, busyAnswer)
	}
}
