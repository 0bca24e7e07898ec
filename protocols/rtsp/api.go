package rtsp

import (
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/google/uuid"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/conns"
)

// connData is a connection's state: its UUID (the ID of its
// authentication requests and of /v3/rtspconns) and the control API's view.
type connData struct {
	id      string
	created time.Time
	remove  func()

	// certOnce checks the client certificate once (clientCertVerified).
	certOnce sync.Once
	certOK   bool

	mu        sync.Mutex
	who       conns.Who
	userAgent string
}

// kinds are the control API lists of this listener.
func (s *Server) kinds() (connKind, sessionKind conns.Kind) {
	if s.cfg.Name == "rtsps" {
		return conns.RTSPSConns, conns.RTSPSSessions
	}
	return conns.RTSPConns, conns.RTSPSessions
}

// openConn registers a new connection with the control API.
func (s *Server) openConn(conn *gortsplib.ServerConn) *connData {
	cd := &connData{id: uuid.NewString(), created: time.Now()}
	kind, _ := s.kinds()
	cd.remove = s.cfg.Conns.Add(kind, cd.id, func() any { return cd.describe(s, conn) }, conn.Close)
	return cd
}

// closeConn removes a connection from the control API.
func closeConn(conn *gortsplib.ServerConn) {
	if cd, _ := conn.UserData().(*connData); cd != nil {
		cd.remove()
	}
}

// noteConn keeps, for the API, who a connection last authenticated as and
// its client's User-Agent.
func noteConn(conn *gortsplib.ServerConn, req *base.Request, id *authn.Identity) {
	cd, _ := conn.UserData().(*connData)
	if cd == nil || id == nil {
		return
	}
	cd.mu.Lock()
	cd.who = conns.Who{User: id.User, AuthBackend: id.Backend}
	if ua := req.Header["User-Agent"]; len(ua) > 0 {
		cd.userAgent = ua[0]
	}
	cd.mu.Unlock()
}

func (cd *connData) describe(s *Server, conn *gortsplib.ServerConn) any {
	st := conn.Stats()
	item := conns.RTSPConn{Entry: conns.Entry{ID: cd.id, Created: cd.created, RemoteAddr: conn.NetConn().RemoteAddr().String()},
		Tunnel: "none", Bytes: conns.MakeBytes(st.BytesReceived, st.BytesSent)}
	if t := conn.Transport(); t != nil {
		switch t.Tunnel {
		case gortsplib.TunnelHTTP:
			item.Tunnel = "http"
		case gortsplib.TunnelWebSocket:
			item.Tunnel = "websocket"
		}
	}
	if ss := conn.Session(); ss != nil {
		if d, ok := s.sessions.Load(ss); ok {
			id := d.(*sessionData).uuid
			item.Session = &id
		}
	}
	cd.mu.Lock()
	item.Who = cd.who
	cd.mu.Unlock()
	return item
}

// sessionAPI is a session's state for the control API.
type sessionAPI struct {
	created time.Time
	remote  string
	conns   []string
	opener  *connData // the connection that opened the session
	unreg   func()

	mu  sync.Mutex
	who conns.Who
}

// noteWho keeps who the session authenticated as (the last identity).
func (a *sessionAPI) noteWho(id *authn.Identity) {
	a.mu.Lock()
	a.who = conns.Who{User: id.User, AuthBackend: id.Backend}
	a.mu.Unlock()
}

// OnSessionOpen implements gortsplib.ServerHandlerOnSessionOpen: the
// session is listed by the control API until it closes.
func (s *Server) OnSessionOpen(ctx *gortsplib.ServerHandlerOnSessionOpenCtx) {
	d := data(ctx.Session)
	d.api.created = time.Now()
	d.api.remote = ctx.Conn.NetConn().RemoteAddr().String()
	if cd, _ := ctx.Conn.UserData().(*connData); cd != nil {
		d.api.conns, d.api.opener = []string{cd.id}, cd
	}
	_, kind := s.kinds()
	ss := ctx.Session
	s.sessions.Store(ss, d)
	unreg := s.cfg.Conns.Add(kind, d.uuid, func() any { return describeSession(ss, d) }, ss.Close)
	d.api.unreg = func() {
		unreg()
		s.sessions.Delete(ss)
	}
}

func describeSession(ss *gortsplib.ServerSession, d *sessionData) any {
	st := ss.Stats()
	item := conns.RTSPSession{Entry: conns.Entry{ID: d.uuid, Created: d.api.created, RemoteAddr: d.api.remote},
		Activity: conns.Activity{Path: PathOf(ss.Path()), Query: conns.Query(ss.Query())}, Conns: append([]string{}, d.api.conns...),
		Bytes: conns.MakeBytes(st.BytesReceived, st.BytesSent)}
	switch ss.State() {
	case gortsplib.ServerSessionStatePrePlay, gortsplib.ServerSessionStatePlay:
		item.State = "read"
	case gortsplib.ServerSessionStatePreRecord, gortsplib.ServerSessionStateRecord:
		item.State = "publish"
	default:
		item.State = "idle"
	}
	if t := ss.Transport(); t != nil {
		proto, profile := t.Protocol.String(), "AVP"
		if t.Profile == headers.TransportProfileSAVP {
			profile = "SAVP"
		}
		item.Transport, item.Profile = &proto, &profile
	}
	item.RTPStats = conns.RTPStats{
		InboundRTPPackets: st.RTPPacketsReceived, InboundRTPPacketsLost: st.RTPPacketsLost,
		InboundRTPPacketsInError: st.RTPPacketsInError, InboundRTPPacketsJitter: st.RTPPacketsJitter,
		InboundRTCPPackets: st.RTCPPacketsReceived, InboundRTCPPacketsInError: st.RTCPPacketsInError,
		OutboundRTPPackets: st.RTPPacketsSent, OutboundRTCPPackets: st.RTCPPacketsSent,
		RTPPacketsReceived: st.RTPPacketsReceived, RTPPacketsSent: st.RTPPacketsSent, RTPPacketsLost: st.RTPPacketsLost,
		RTPPacketsInError: st.RTPPacketsInError, RTPPacketsJitter: st.RTPPacketsJitter,
		RTCPPacketsReceived: st.RTCPPacketsReceived, RTCPPacketsSent: st.RTCPPacketsSent, RTCPPacketsInError: st.RTCPPacketsInError,
	}
	d.api.mu.Lock()
	item.Who = d.api.who
	d.api.mu.Unlock()
	if cd := d.api.opener; cd != nil {
		cd.mu.Lock()
		item.UserAgent = cd.userAgent
		cd.mu.Unlock()
	}
	return item
}

// remove takes the session off the control API's lists.
func (a *sessionAPI) leave() {
	if a.unreg != nil {
		a.unreg()
	}
}
