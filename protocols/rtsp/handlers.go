package rtsp

import (
	"fmt"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// OnDescribe implements gortsplib.ServerHandlerOnDescribe. Credentials are
// checked before the path is looked at: without them an unconfigured path
// and a configured one get the same answer.
func (s *Server) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (res *base.Response, st *gortsplib.ServerStream, err error) {
	defer panics.Recover(s.logger, "rtsp", func() { res, err = panicked(); st = nil })
	path := PathOf(ctx.Path)
	if res, err := checkPath(path); res != nil {
		return res, nil, err
	}
	if _, err := s.authenticate(ctx.Conn, ctx.Request, authz.ActionRead, path, ctx.Query, nil); err != nil {
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
	// One pass: the credentials, then the label rule against the path's
	// savantLabels.
	id, err := s.authenticate(ctx.Conn, ctx.Request, authz.ActionPublish, path, ctx.Query, s.hub.PublishLabels(path))
	if err != nil {
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
	id, err := s.authenticate(ctx.Conn, ctx.Request, authz.ActionRead, path, ctx.Query, nil)
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
