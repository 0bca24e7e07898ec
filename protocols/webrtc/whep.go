package webrtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Body limits: an SDP offer of a browser is a few kilobytes.
const (
	maxOfferSize    = 64 << 10
	maxFragmentSize = 16 << 10
)

// statusError is a refusal with its HTTP status; the message goes to the client.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func refuse(status int, format string, args ...any) error {
	return &statusError{status: status, msg: fmt.Sprintf(format, args...)}
}

// writeRefusal answers err: its status, or 500.
func writeRefusal(w http.ResponseWriter, err error) {
	var se *statusError
	if errors.As(err, &se) {
		http.Error(w, se.msg, se.status)
		return
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// hubRefusal maps the hub's errors to statuses: no publisher 404, maxReaders
// reached 503 (a capacity limit, like a busy server: retry later).
func hubRefusal(err error) error {
	switch {
	case errors.Is(err, stream.ErrNotPublished), errors.Is(err, stream.ErrNoPath):
		return refuse(http.StatusNotFound, "no one is publishing to this path")
	case errors.Is(err, stream.ErrTooManyReaders):
		return refuse(http.StatusServiceUnavailable, "the path has its maximum number of readers")
	case errors.Is(err, stream.ErrUnavailable):
		return refuse(http.StatusServiceUnavailable, "stream unavailable for now (cluster registry unreachable); retry later")
	}
	return err
}

// createSession answers a WHEP offer: the method (POST only) first, then
// authentication, the content type, the publication, the offer, the reader
// count.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request, rt route) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	id := s.gate.Check(w, r, authz.ActionRead, rt.path)
	if id == nil {
		return
	}
	pub, out, offer, err := s.readOffer(w, r, rt.path)
	if err != nil {
		writeRefusal(w, err)
		return
	}
	sess := newSession(s, pub, out, s.logger.With("path", rt.path, "user", id.User, "remote", r.RemoteAddr))
	if err := pub.AddReader(sess); err != nil {
		writeRefusal(w, hubRefusal(err))
		return
	}
	answer, err := sess.negotiate(r.Context(), offer)
	err = s.sessions.admit(sess, err)
	if err != nil {
		if sess.pc != nil {
			_ = sess.pc.Close()
		}
		pub.RemoveReader(sess)
		sess.logger.Debug("offer refused", "error", err)
		writeRefusal(w, err)
		return
	}
	s.register(sess, id, r)
	cancelEnd := id.OnEnd(sess.stop) // expiry, or a re-check that refuses it
	sess.unhook = sess.hooks(r.URL.RawQuery)
	go sess.run(cancelEnd)

	s.writeAnswer(w, sessionLocation(rt.path, sess.id), sess.etag, answer)
}

// writeAnswer answers a WHEP or WHIP offer: 201 with the answer, the
// session's URL (location) and ETag, and the client's ICE servers.
func (s *Server) writeAnswer(w http.ResponseWriter, location, etag, answer string) {
	h := w.Header()
	h.Set("Content-Type", "application/sdp")
	h.Set("Location", location)
	h.Set("ETag", etag)
	h.Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	h.Set("Cache-Control", "no-store")
	h.Add("Access-Control-Expose-Headers", "Location, ETag, Accept-Patch, Link")
	s.setLinks(h)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// readOffer checks the content type (415), finds the publication (404),
// reads the offer (413, 400) and picks the tracks it can receive (406).
func (s *Server) readOffer(w http.ResponseWriter, r *http.Request, path string) (*stream.Publication, *output, string, error) {
	if !hasContentType(r, "application/sdp") {
		return nil, nil, "", refuse(http.StatusUnsupportedMediaType, "the offer must be application/sdp")
	}
	pub, err := s.hub.Read(path, r.URL.RawQuery) // authorized: may wake an on-demand source
	if err != nil {
		return nil, nil, "", hubRefusal(err)
	}
	offer, err := readBody(w, r, maxOfferSize)
	if err != nil {
		return nil, nil, "", err
	}
	out, err := newOutput(pub.Desc)
	if err != nil {
		return nil, nil, "", refuse(http.StatusNotAcceptable, "%v", err)
	}
	video, audio, err := offerAccepts(offer, out.videoCodec())
	if err != nil {
		return nil, nil, "", err
	}
	codecs := strings.Join(out.codecs(), ", ")
	if !out.keep(video, audio) {
		return nil, nil, "", refuse(http.StatusNotAcceptable, "the offer accepts none of the stream's tracks (%s)", codecs)
	}
	return pub, out, offer, nil
}

// negotiate creates the peer connection for offer and returns the answer,
// with all our candidates (no trickle from our side).
func (s *session) negotiate(ctx context.Context, offer string) (string, error) {
	pc, err := s.srv.newPeerConnection(s.out.register)
	if err != nil {
		return "", err
	}
	s.pc, s.offer = pc, offer
	pc.OnConnectionStateChange(s.onState)
	if err := setOffer(pc, offer); err != nil {
		return "", err
	}
	var senders []*webrtc.RTPSender
	for _, t := range s.out.tracks() {
		sender, err := pc.AddTrack(t)
		if err != nil {
			return "", err
		}
		senders = append(senders, sender)
	}
	gathered, err := setAnswer(pc)
	if err != nil {
		return "", err
	}
	for _, sender := range senders {
		go func() {
			defer panics.Recover(s.logger, "webrtc", nil)
			s.readRTCP(sender)
		}()
	}
	return gatheredAnswer(ctx, pc, offer, gathered, s.srv.cfg.HandshakeTimeout)
}

// sessionFor authenticates a request on an existing session (read on its
// path) and finds the session; nil once it has answered the refusal or 404.
func (s *Server) sessionFor(w http.ResponseWriter, r *http.Request, rt route) *session {
	if s.gate.Check(w, r, authz.ActionRead, rt.path) == nil {
		return nil
	}
	sess, ok := s.sessions.lookup(rt)
	if !ok {
		http.Error(w, "no such session", http.StatusNotFound)
	}
	return sess
}

// deleteSession ends a session at the client's request.
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request, rt route) {
	sess := s.sessionFor(w, r, rt)
	if sess == nil {
		return
	}
	sess.stop("deleted by the client")
	select {
	case <-sess.done:
	case <-r.Context().Done():
	}
	w.WriteHeader(http.StatusOK)
}

// patchSession adds the client's trickled ICE candidates. ICE restarts are
// not supported (422). If-Match is optional; when given it must be "*" or
// the session's ETag.
func (s *Server) patchSession(w http.ResponseWriter, r *http.Request, rt route) {
	sess := s.sessionFor(w, r, rt)
	if sess == nil {
		return
	}
	trickle(w, r, sess.pc, sess.offer, sess.etag, sess.logger)
}

// trickle adds the candidates of a PATCH (application/trickle-ice-sdpfrag)
// to pc, a WHEP or WHIP session's connection, whose offer and ETag are
// given. ICE restarts are not supported (422). If-Match is optional; when
// given it must be "*" or the session's ETag.
func trickle(w http.ResponseWriter, r *http.Request, pc *webrtc.PeerConnection, offer, etag string, logger *slog.Logger) {
	if !hasContentType(r, "application/trickle-ice-sdpfrag") {
		http.Error(w, "the body must be application/trickle-ice-sdpfrag", http.StatusUnsupportedMediaType)
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != etag {
		http.Error(w, "the ETag does not match the ICE session", http.StatusPreconditionFailed)
		return
	}
	body, err := readBody(w, r, maxFragmentSize)
	if err != nil {
		writeRefusal(w, err)
		return
	}
	frag, err := parseICEFragment(body)
	if err != nil {
		http.Error(w, "invalid SDP fragment: "+err.Error(), http.StatusBadRequest)
		return
	}
	if frag.ufrag != "" && !hasUfrag(offer, frag.ufrag) {
		http.Error(w, "ICE restarts are not supported", http.StatusUnprocessableEntity)
		return
	}
	for _, c := range frag.candidates {
		if err := pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c}); err != nil {
			logger.Debug("remote candidate discarded", "error", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func hasContentType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// readBody reads r's body up to limit bytes (413 beyond).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (string, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return "", refuse(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", limit)
	case err != nil:
		return "", refuse(http.StatusBadRequest, "cannot read the body")
	}
	return string(b), nil
}

// hasUfrag reports whether the SDP text carries the ICE username fragment.
func hasUfrag(sdp, ufrag string) bool {
	for line := range strings.SplitSeq(sdp, "\n") {
		if strings.TrimSuffix(line, "\r") == "a=ice-ufrag:"+ufrag {
			return true
		}
	}
	return false
}

// newPeerConnection makes a peer connection with the codecs register puts
// in its media engine, pion's default interceptors (NACK, RTCP reports)
// and the server's settings and ICE servers.
func (s *Server) newPeerConnection(register func(*webrtc.MediaEngine) error) (*webrtc.PeerConnection, error) {
	me := &webrtc.MediaEngine{}
	if err := register(me); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(me, ir, webrtc.WithInterceptorLoggerFactory(s.logs)); err != nil {
		return nil, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s.settings))
	return api.NewPeerConnection(s.peerConfig())
}
