package webrtc

import (
	"net/http"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/conns"
)

// registerPublisher lists a WHIP session in the control API
// (/v3/webrtcsessions, state publish) until it ends; a kick ends it. Its ID
// is the one hooks see (MTX_SOURCE_ID, MTX_CONN_ID), not the session URL's
// secret. Byte and packet counters are not reported (0).
func (s *Server) registerPublisher(p *publisher, id *authn.Identity, r *http.Request) {
	item := conns.WebRTCSession{Entry: conns.Entry{ID: p.uuid, Created: time.Now(), RemoteAddr: r.RemoteAddr}, State: "publish", Path: p.path,
		Query: conns.Query(r.URL.RawQuery), UserAgent: r.UserAgent(), Who: conns.Who{User: id.User, AuthBackend: id.Backend}}
	p.unreg = s.cfg.Conns.Add(conns.WebRTCSessions, p.uuid, func() any {
		it := item
		select {
		case <-p.connected:
			it.PeerConnectionEstablished = true
		default:
		}
		return it
	}, func() { p.stop(kickReason) })
}
