package webrtc

import (
	"log/slog"

	"github.com/google/uuid"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// readerQueue is how many units a session may lag behind the publisher.
const readerQueue = 512

// session is one WHEP reader: a peer connection fed from the publication's
// fan-out from the moment ICE and DTLS are up.
type session struct {
	srv *Server
	*lifecycle
	// uuid identifies the session in hooks (MTX_READER_ID, MTX_CONN_ID):
	// never the secret of its URL.
	uuid string
	// unhook tells the hub the session ended (runOnUnread,
	// runOnDisconnect); set once the session is up.
	unhook func()
	etag   string
	pub    *stream.Publication
	out    *output
	pc     *webrtc.PeerConnection
	offer  string
	logger *slog.Logger

	api sessionAPI // the control API's view (api.go)
}

func newSession(srv *Server, pub *stream.Publication, out *output, logger *slog.Logger) *session {
	l := newLifecycle(pub.Name)
	return &session{srv: srv, lifecycle: l, uuid: uuid.NewString(), unhook: func() {}, etag: `"` + uuid.NewString() + `"`, pub: pub, out: out,
		logger: logger.With("session", l.id)}
}

// onState follows the peer connection: connected starts the media, failed
// or closed ends the session. Disconnected may recover; pion turns it into
// failed when it does not.
func (s *session) onState(st webrtc.PeerConnectionState) {
	defer panics.Recover(s.logger, "webrtc", func() { s.stop("internal error") })
	s.follow(st)
}

// run waits for the connection, then sends the publication's units until
// the session stops or the publication ends; it releases everything.
func (s *session) run(cancelExpiry func()) {
	defer s.release(cancelExpiry)
	defer panics.Recover(s.logger, "webrtc", func() { s.stop("internal error") })
	if !s.handshake(s.srv.cfg.HandshakeTimeout, s.pub.Done()) {
		return
	}
	rd := stream.NewReader(readerQueue, s.srv.metrics.dropped.Inc)
	f := stream.FanoutOf(s.pub, "webrtc", 1024)
	if !f.Add(rd) {
		s.stop("publisher left")
		return
	}
	defer f.Remove(rd)
	// The keyframe asked for when the session joined may have come before
	// ICE and DTLS were up: ask again now that units flow.
	s.pub.RequestKeyframe()
	s.logger.Info("reading", "tracks", s.out.codecs())
	for {
		select {
		case u, ok := <-rd.Queue:
			if !ok {
				s.stop("publisher left")
				return
			}
			if rd.Dropped() {
				s.out.resync()
				s.pub.RequestKeyframe()
			}
			if err := s.out.write(u); err != nil {
				s.stop("write: " + err.Error())
				return
			}
		case <-s.stopping:
			return
		}
	}
}

// release closes the peer connection and forgets the session.
func (s *session) release(cancelExpiry func()) {
	cancelExpiry()
	s.api.closing()
	_ = s.pc.Close()
	s.pub.RemoveReader(s)
	s.unhook()
	s.srv.sessions.remove(s)
	s.api.leave()
	s.logger.Info("session closed", "reason", s.reason)
	close(s.done)
}

// readRTCP drains a sender's RTCP so that the interceptors (NACK, reports)
// see it, and passes the reader's keyframe requests (PLI, FIR) on to the
// publisher (rate-limited by the publication); it ends with the peer
// connection.
func (s *session) readRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.pub.RequestKeyframe()
			}
		}
	}
}

// hooks tells the hub of the session as a connection and as a reader
// (runOnConnect, runOnRead); the returned function tells their end.
func (s *session) hooks(query string) func() {
	disconnect := s.srv.hub.Connected(stream.ConnInfo{Type: "webRTCSession", ID: s.uuid})
	unread := s.pub.Watch(stream.ReaderInfo{Type: "webRTCSession", ID: s.uuid, Query: query})
	return func() {
		unread()
		disconnect()
	}
}
