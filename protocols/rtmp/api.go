package rtmp

import (
	"sync"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/conns"
)

// connAPI is a connection's state for the control API.
type connAPI struct {
	created time.Time

	mu       sync.Mutex
	activity conns.Activity
	who      conns.Who
	session  *session
}

// register lists the connection in the control API (/v3/rtmpconns or
// /v3/rtmpsconns) until the returned function runs; a kick closes it.
func (c *conn) register() (remove func()) {
	kind := conns.RTMPConns
	if c.srv.cfg.Name == "rtmps" {
		kind = conns.RTMPSConns
	}
	c.api.created, c.api.activity.State = time.Now(), "idle"
	return c.srv.cfg.Conns.Add(kind, c.id, c.describe, func() { _ = c.nc.Close() })
}

// noteAuth records, once the client is authenticated, what it does and
// who it is.
func (c *conn) noteAuth(sess *session, id *authn.Identity) {
	c.api.mu.Lock()
	defer c.api.mu.Unlock()
	c.api.activity.Authenticated(sess.publish, c.target.Path, c.target.Query)
	c.api.session = sess
	c.api.who = conns.Who{User: id.User, AuthBackend: id.Backend}
}

func (c *conn) describe() any {
	c.api.mu.Lock()
	defer c.api.mu.Unlock()
	item := conns.RTMPConn{
		Entry:    conns.Entry{ID: c.id, Created: c.api.created, RemoteAddr: c.nc.RemoteAddr().String()},
		Activity: c.api.activity, Who: c.api.who}
	if s := c.api.session; s != nil {
		item.Bytes = conns.MakeBytes(s.BytesReceived(), s.BytesSent())
	}
	return item
}
