package rtsp

import (
	"context"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/google/uuid"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

type sessionData struct {
	uuid   string              // the session's UUID (API, logs)
	pub    *stream.Publication // as publisher
	reader *stream.Publication // as reader
	id     *authn.Identity     // the identity that ends first (a JWT's exp)
	unkick func()              // cancels the disconnection at id's end
	api    sessionAPI          // the control API's view (api.go)
}

// data returns the session's data, creating it.
func data(ss *gortsplib.ServerSession) *sessionData {
	d, _ := ss.UserData().(*sessionData)
	if d == nil {
		d = &sessionData{uuid: uuid.NewString()}
		ss.SetUserData(d)
	}
	return d
}

// OnConnOpen implements gortsplib.ServerHandlerOnConnOpen: every connection
// gets a UUID, the ID of its authentication requests.
func (s *Server) OnConnOpen(ctx *gortsplib.ServerHandlerOnConnOpenCtx) {
	ctx.Conn.SetUserData(s.openConn(ctx.Conn))
	s.m.conns.Inc()
}

// connID is the UUID OnConnOpen gave conn.
func connID(conn *gortsplib.ServerConn) string {
	if cd, _ := conn.UserData().(*connData); cd != nil {
		return cd.id
	}
	return ""
}

// noteExpiry keeps, of the identities a session showed (DESCRIBE, SETUP…),
// the one that ends first: one that expires before one that does not.
func (d *sessionData) noteExpiry(id *authn.Identity) {
	if id == nil {
		return
	}
	d.api.noteWho(id)
	if d.id == nil || !id.Expires.IsZero() && (d.id.Expires.IsZero() || id.Expires.Before(d.id.Expires)) {
		d.id = id
	}
}

// armKick disconnects the session when its identity ends: a reader or a
// publisher authenticated by a JWT does not outlive the token, nor one
// whose user a reload or a user store change no longer allows.
func (s *Server) armKick(ss *gortsplib.ServerSession, d *sessionData) {
	if d.unkick != nil {
		return
	}
	d.unkick = d.id.OnEnd(func(reason string) {
		s.logger.Info("session closed", "reason", reason, "listener", s.cfg.Name, "path", ss.Path())
		ss.Close()
	})
}

// credentials are the request's credentials; a Digest answer is checked by
// the connection that issued the nonce. Without basic in rtspAuthMethods a
// Basic header is not credentials: it is dropped from the request, so that
// the 401 offers the Digest challenge and the connection stays open for
// the answer.
func (s *Server) credentials(conn *gortsplib.ServerConn, req *base.Request, query string) authn.Credentials {
	if !s.basic && isBasic(req) {
		delete(req.Header, "Authorization")
	}
	c := Credentials(req, query)
	switch {
	case c.Digest != nil:
		user, proof := c.User, *c.Digest
		proof.Check = func(pass string) bool { return conn.VerifyCredentials(req, user, pass) }
		c.Digest = &proof
	case s.digest && len(req.Header["Authorization"]) == 0:
		// gortsplib picks the nonce of its Digest challenge on the first
		// verification; without this one the challenge would carry none.
		_ = conn.VerifyCredentials(req, "-", "")
	}
	return c
}

func (s *Server) authenticate(conn *gortsplib.ServerConn, req *base.Request, action authz.Action, path, query string, labels []string) (*authn.Identity, error) {
	ar := authn.Request{
		Labels:      labels,
		Action:      action,
		Path:        path,
		Protocol:    authn.ProtocolRTSP,
		IP:          remoteIP(conn.NetConn()),
		Credentials: s.credentials(conn, req, query),
		Query:       query,
		ID:          connID(conn),
		// A verified client certificate (cluster peers' mutual TLS).
		ClientCertVerified: s.clientCertVerified(conn),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := s.auth.Authenticate(ctx, &ar)
	if err != nil {
		s.m.refusal(err)
		return id, err
	}
	noteConn(conn, req, id)
	s.connected(conn)
	return id, err
}

// connected tells the hub, once per connection, that conn authenticated
// (runOnConnect); OnConnClose tells the end.
func (s *Server) connected(conn *gortsplib.ServerConn) {
	if _, ok := s.connEnds.Load(conn); ok {
		return
	}
	end := s.hub.Connected(stream.ConnInfo{Type: s.cfg.Name + "Conn", ID: connID(conn)})
	if _, loaded := s.connEnds.LoadOrStore(conn, end); loaded {
		end()
	}
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (s *Server) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	defer panics.Recover(s.logger, "rtsp", nil)
	d, _ := ctx.Session.UserData().(*sessionData)
	if d == nil {
		return
	}
	d.api.leave()
	if d.unkick != nil {
		d.unkick()
	}
	if d.pub != nil {
		d.pub.Close()
		s.m.publishing.Dec()
	}
	if d.reader != nil {
		d.reader.RemoveReader(ctx.Session)
		s.m.reading.Dec()
	}
	if t := ctx.Session.Transport(); t != nil && t.Protocol != gortsplib.ProtocolTCP {
		// UDP traffic does not pass through the connection: its bytes
		// are counted once the session ends.
		st := ctx.Session.Stats()
		s.m.received.Add(float64(st.BytesReceived))
		s.m.sent.Add(float64(st.BytesSent))
	}
}
