// Package rtsp is the RTSP listener: publish (ANNOUNCE/RECORD) and read
// (DESCRIBE/SETUP/PLAY) over gortsplib v5, every request authenticated
// through the pipeline in its connection's own goroutine.
package rtsp

import (
	"context"
	"crypto/tls"
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
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/google/uuid"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/conns"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Authenticator is the pipeline as the listener sees it.
type Authenticator interface {
	Authenticate(ctx context.Context, req *authn.Request) (*authn.Identity, error)
}

// Config configures one RTSP listener.
type Config struct {
	Name         string // rtsp or rtsps
	Address      string
	RTPAddress   string // empty: no UDP
	RTCPAddress  string
	TLS          *tls.Config
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
	auth   Authenticator
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
func Listen(cfg Config, a Authenticator, hub *stream.Hub, logger *slog.Logger) (*Server, error) {
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

func (s *Server) authenticate(conn *gortsplib.ServerConn, req *base.Request, action authz.Action, path, query string) (*authn.Identity, error) {
	ar := authn.Request{
		Action:      action,
		Path:        path,
		Protocol:    authn.ProtocolRTSP,
		IP:          remoteIP(conn.NetConn()),
		Credentials: s.credentials(conn, req, query),
		Query:       query,
		ID:          connID(conn),
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

// OnDescribe implements gortsplib.ServerHandlerOnDescribe. Credentials are
// checked before the path is looked at: without them an unconfigured path
// and a configured one get the same answer.
func (s *Server) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (res *base.Response, st *gortsplib.ServerStream, err error) {
	defer panics.Recover(s.logger, "rtsp", func() { res, err = panicked(); st = nil })
	path := PathOf(ctx.Path)
	if res, err := checkPath(path); res != nil {
		return res, nil, err
	}
	if _, err := s.authenticate(ctx.Conn, ctx.Request, authz.ActionRead, path, ctx.Query); err != nil {
		res, err := authResponse(err)
		return res, nil, err
	}
	if res := s.redirect(path); res != nil {
		return res, nil, nil
	}
	st, err = s.streamOf(path, ctx.Query)
	if err != nil {
		res, err := hubResponse(err)
		return res, nil, err
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// redirect answers an authorized DESCRIBE of a path whose source is
// redirect (MediaMTX's): 301 to its sourceRedirect; nil for other paths.
func (s *Server) redirect(path string) *base.Response {
	np, err := s.hub.PathConf(path)
	if err != nil || np.Redirect == "" {
		return nil
	}
	return &base.Response{StatusCode: base.StatusMovedPermanently, Header: base.Header{"Location": base.HeaderValue{np.Redirect}}}
}

func (s *Server) streamOf(path, query string) (*gortsplib.ServerStream, error) {
	p, err := s.hub.Read(path, query) // authorized: may wake an on-demand source
	if err != nil {
		return nil, err
	}
	st, ok := p.Attached(s.cfg.Name).(*gortsplib.ServerStream)
	if !ok {
		return nil, stream.ErrNotPublished
	}
	return st, nil
}

// OnAnnounce implements gortsplib.ServerHandlerOnAnnounce.
func (s *Server) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (res *base.Response, err error) {
	defer panics.Recover(s.logger, "rtsp", func() { res, err = panicked() })
	path := PathOf(ctx.Path)
	if res, err := checkPath(path); res != nil {
		return res, err
	}
	id, err := s.authenticate(ctx.Conn, ctx.Request, authz.ActionPublish, path, ctx.Query)
	if err != nil {
		return authResponse(err)
	}
	if err := s.checkLabels(ctx.Conn, ctx.Request, path, ctx.Query); err != nil {
		return authResponse(err)
	}
	d := data(ctx.Session)
	p, err := s.hub.Publish(path, ctx.Description, stream.SourceInfo{Protocol: "rtsp", Listener: s.cfg.Name, ID: d.uuid, User: id.User,
		Type: s.cfg.Name + "Session", Query: ctx.Query})
	if err != nil {
		return hubResponse(err)
	}
	if d.pub == nil {
		s.m.publishing.Inc()
	}
	d.pub = p
	// A publication ended from outside (its path removed, another
	// publisher took over) ends the session, as over RTMP and SRT.
	go func(ss *gortsplib.ServerSession) { <-p.Done(); ss.Close() }(ctx.Session)
	d.noteExpiry(id)
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// checkLabels holds a publisher to its label rule against the path's
// savantLabels (a second, cached pass through the pipeline).
func (s *Server) checkLabels(conn *gortsplib.ServerConn, req *base.Request, path, query string) error {
	np, err := s.hub.PathConf(path)
	if err != nil {
		return nil // unconfigured: the hub answers 404
	}
	ar := authn.Request{Action: authz.ActionPublish, Path: path, Protocol: authn.ProtocolRTSP, IP: remoteIP(conn.NetConn()),
		Credentials: s.credentials(conn, req, query), Labels: append([]string{}, np.SavantLabels...)}
	_, err = s.auth.Authenticate(context.Background(), &ar)
	return err
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (s *Server) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (res *base.Response, st *gortsplib.ServerStream, err error) {
	defer panics.Recover(s.logger, "rtsp", func() { res, err = panicked(); st = nil })
	if !s.transportAllowed(ctx.Transport) {
		return &base.Response{StatusCode: base.StatusUnsupportedTransport}, nil, nil
	}
	if ctx.Session.State() == gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusOK}, nil, nil
	}
	path := PathOf(ctx.Path)
	if res, err := checkPath(path); res != nil {
		return res, nil, err
	}
	id, err := s.authenticate(ctx.Conn, ctx.Request, authz.ActionRead, path, ctx.Query)
	if err != nil {
		res, err := authResponse(err)
		return res, nil, err
	}
	st, err = s.streamOf(path, ctx.Query)
	if err != nil {
		res, err := hubResponse(err)
		return res, nil, err
	}
	data(ctx.Session).noteExpiry(id)
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (s *Server) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (res *base.Response, err error) {
	defer panics.Recover(s.logger, "rtsp", func() { res, err = panicked() })
	path := PathOf(ctx.Path)
	if res, err := checkPath(path); res != nil {
		return res, err
	}
	p, err := s.hub.Get(path)
	if err != nil {
		return hubResponse(err)
	}
	d := data(ctx.Session)
	if err := p.AddReaderAs(ctx.Session, stream.ReaderInfo{Type: s.cfg.Name + "Session", ID: d.uuid, Query: ctx.Query}); err != nil {
		return hubResponse(err)
	}
	if d.reader == nil {
		s.m.reading.Inc()
	}
	d.reader = p
	s.armKick(ctx.Session, d)
	if c, ok := ctx.Conn.NetConn().(*coalescingConn); ok {
		c.coalesce() // a reader: gather its packets' writes from now on
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnRecord implements gortsplib.ServerHandlerOnRecord: every packet goes to
// the RTSP fan-out as it is, and H.264/H.265 access units to the hub's sinks.
func (s *Server) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (res *base.Response, err error) {
	defer panics.Recover(s.logger, "rtsp", func() { res, err = panicked() })
	d, _ := ctx.Session.UserData().(*sessionData)
	if d == nil || d.pub == nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, fmt.Errorf("rtsp: RECORD without ANNOUNCE")
	}
	p := d.pub
	s.armKick(ctx.Session, d)
	var st *gortsplib.ServerStream // nil: this listener's fan-out is fed from units
	if s.forwardsPackets(p) {
		st, _ = p.Attached(s.cfg.Name).(*gortsplib.ServerStream)
	}
	for _, medi := range ctx.Session.AnnouncedDescription().Medias {
		for _, forma := range medi.Formats {
			s.forward(ctx.Session, p, st, medi, forma)
		}
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// forwardsPackets says whether p's RTP packets go to this listener's
// fan-out as the publisher sent them: only for a publisher on this listener,
// and not over TLS. A TLS server stream keeps room for SRTP's overhead in
// every packet (gortsplib: 1 462 of the 1 472 bytes), so the full-size
// packets of a publisher such as ffmpeg (1 472 bytes) would be dropped —
// all of a keyframe's fragments, none of the small frames: RTSPS readers
// would never decode a picture. Re-packetized units fit.
func (s *Server) forwardsPackets(p *stream.Publication) bool {
	return p.Source.Protocol == "rtsp" && p.Source.Listener == s.cfg.Name && s.cfg.TLS == nil
}

func (s *Server) forward(ss *gortsplib.ServerSession, p *stream.Publication, st *gortsplib.ServerStream, medi *description.Media, forma format.Format) {
	decode := stream.RTPDecoder(forma)
	// The packets of an access unit being received: RTSP readers get them
	// once the unit is complete, after the hub (and so the Savant output),
	// so that the fan-out to many readers does not delay the unit on its
	// way to Savant. A reader cannot decode a unit before its last packet
	// anyway.
	var pending []*rtp.Packet
	flush := func() {
		if st != nil {
			for _, pkt := range pending {
				_ = st.WritePacketRTP(medi, pkt)
			}
		}
		clear(pending)
		pending = pending[:0]
	}
	// The callback runs in gortsplib's reading goroutine — for UDP, the one
	// every session shares: a panic ends this session only.
	end := ss.Close
	ss.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		defer panics.Recover(s.logger, "rtsp", end)
		if decode == nil {
			if st != nil {
				_ = st.WritePacketRTP(medi, pkt)
			}
			if pts, ok := ss.PacketPTS(medi, pkt); ok {
				p.WriteUnit(&stream.Unit{Media: medi, Format: forma, PTS: pts, RTP: pkt})
			}
			return
		}
		pending = append(pending, pkt)
		// PacketPTS sees every packet: it starts at a keyframe's first.
		pts, ok := ss.PacketPTS(medi, pkt)
		if !ok {
			flush() // before the first keyframe
			return
		}
		au, err := decode(pkt)
		if err != nil || au == nil {
			if len(pending) >= maxPendingPackets {
				flush() // a unit too long to hold back
			}
			return
		}
		p.WriteUnit(&stream.Unit{Media: medi, Format: forma, PTS: pts, RTP: pkt, AU: au})
		flush()
	})
}

// maxPendingPackets bounds the packets of one access unit held back from
// RTSP readers until the unit is complete.
const maxPendingPackets = 1024

// feedFromUnits fills an RTSP fan-out from the hub's units: access units
// encoded to RTP, and the packets of formats the hub does not decode as
// they came (an RTSP publisher's).
func feedFromUnits(name string, p *stream.Publication, st *gortsplib.ServerStream) {
	encoders := map[format.Format]func([][]byte) ([]*rtp.Packet, error){}
	for _, m := range p.Desc.Medias {
		for _, f := range m.Formats {
			if enc := stream.RTPEncoder(f); enc != nil {
				encoders[f] = enc
			}
		}
	}
	p.AddSink(name, 1024, func(u *stream.Unit) {
		if u.AU == nil && u.RTP != nil {
			// A copy: the server stream sets the SSRC, and the publisher's
			// own fan-out writes the same packet.
			pkt := *u.RTP
			_ = st.WritePacketRTP(u.Media, &pkt)
			return
		}
		enc := encoders[u.Format]
		if enc == nil || u.AU == nil {
			return
		}
		pkts, err := enc(u.AU)
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			pkt.Timestamp = uint32(u.PTS)
			_ = st.WritePacketRTP(u.Media, pkt)
		}
	}, nil)
}

// transportAllowed applies rtspTransports to a SETUP.
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
