package hls

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/conns"
)

// Muxers describes the live muxers for /v3/hlsmuxers, by path.
func (s *Server) Muxers() []conns.HLSMuxer {
	s.mu.Lock()
	all := make([]*muxer, 0, len(s.muxers))
	for _, m := range s.muxers {
		all = append(all, m)
	}
	s.mu.Unlock()
	out := make([]conns.HLSMuxer, 0, len(all))
	for _, m := range all {
		sent := m.sent.Load()
		out = append(out, conns.HLSMuxer{Path: m.pub.Name, Created: m.created,
			LastRequest: time.Unix(0, m.lastRequest.Load()), OutboundBytes: sent, BytesSent: sent})
	}
	slices.SortFunc(out, func(a, b conns.HLSMuxer) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// countingWriter counts the bytes of a response.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Uint64
}

func (w countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n.Add(uint64(n))
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// describeSession is the control API's view of an HLS session
// (/v3/hlssessions): a viewer's requests for one stream, from one address
// as one user. A kick ends the session record (and its hooks); HLS keeps no
// connection, so the viewer's next authorized request opens a new one.
func describeSession(id, path string, who *authn.Identity, ip netip.Addr, r *http.Request) func() any {
	item := conns.HLSSession{Entry: conns.Entry{ID: id, Created: time.Now(), RemoteAddr: ip.String()}, Path: path,
		Query: conns.Query(r.URL.RawQuery), UserAgent: r.UserAgent(),
		Who: conns.Who{User: who.User, AuthBackend: who.Backend}}
	return func() any { return item }
}
