package rtsp

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"

	"github.com/bluenviron/gortsplib/v5/pkg/base"

	"github.com/streamgate/streamgate/internal/netlimit"
)

// maxBusyRequest bounds what is read of a refused connection's request.
const maxBusyRequest = 64 << 10

// busy answers a connection over maxConnections or maxConnectionsPerIP:
// its first request gets 503 Service Unavailable (with its CSeq and a
// Retry-After), then the connection is closed.
func busy(cfg *tls.Config) netlimit.BusyFunc {
	return func(c net.Conn) {
		if cfg != nil {
			tc := tls.Server(c, cfg)
			defer tc.Close()
			c = tc
		}
		var req base.Request
		if err := req.Unmarshal(bufio.NewReader(io.LimitReader(c, maxBusyRequest))); err != nil {
			return
		}
		res := base.Response{StatusCode: base.StatusServiceUnavailable, Header: base.Header{"Retry-After": {"1"}}}
		if cseq, ok := req.Header["CSeq"]; ok {
			res.Header["CSeq"] = cseq
		}
		b, err := res.Marshal()
		if err == nil {
			_, _ = c.Write(b)
		}
	}
}
