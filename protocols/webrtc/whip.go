package webrtc

import (
	"context"
	"errors"
	"net/http"

	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/panics"
)

// createPublisher answers a WHIP offer (POST only: 405 otherwise). The
// order is the refusal order of every listener: authentication for
// publishing first (401/403, before the body is read), then the content
// type (415), the path (404), a pulled source's path or a publisher already
// there (409 unless overridePublisher), the body (413), the offer (400) and
// the codecs (406).
func (s *Server) createPublisher(w http.ResponseWriter, r *http.Request, rt route) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	id := s.gate.CheckLabels(w, r, authz.ActionPublish, rt.path, s.hub.PublishLabels(rt.path))
	if id == nil {
		return
	}
	offer, err := s.readPublishOffer(w, r, rt.path)
	if err != nil {
		writeRefusal(w, err)
		return
	}
	p := newPublisher(s, rt.path, id.User, r.URL.RawQuery,
		s.logger.With("path", rt.path, "user", id.User, "remote", r.RemoteAddr, "side", "whip"))
	answer, err := p.negotiate(r.Context(), offer)
	err = s.publishers.admit(p, err)
	if err != nil {
		if p.pc != nil {
			_ = p.pc.Close()
		}
		p.logger.Debug("offer refused", "error", err)
		writeRefusal(w, err)
		return
	}
	cancelEnd := id.OnEnd(p.stop) // expiry, or a re-check that refuses it
	s.registerPublisher(p, id, r)
	go p.run(cancelEnd)

	s.writeAnswer(w, "/"+rt.path+"/whip/"+p.id, p.etag, answer)
}

// readPublishOffer checks everything but the authentication before the
// peer connection is made.
func (s *Server) readPublishOffer(w http.ResponseWriter, r *http.Request, path string) (string, error) {
	if !hasContentType(r, "application/sdp") {
		return "", refuse(http.StatusUnsupportedMediaType, "the offer must be application/sdp")
	}
	np, err := s.hub.PathConf(path)
	if err != nil {
		return "", refuse(http.StatusNotFound, "the path is not configured")
	}
	if !np.Publisher {
		return "", refuse(http.StatusConflict, "the path takes its stream from a source, not from publishers")
	}
	if _, err := s.hub.Get(path); err == nil && !np.OverridePublisher {
		return "", refuse(http.StatusConflict, "someone is already publishing to this path")
	}
	offer, err := readBody(w, r, maxOfferSize)
	if err != nil {
		return "", err
	}
	if err := offerSends(offer); err != nil {
		return "", err
	}
	return offer, nil
}

// negotiate creates the receiving peer connection and returns the answer
// with all our candidates.
func (p *publisher) negotiate(ctx context.Context, offer string) (string, error) {
	pc, err := p.srv.newPeerConnection(registerInbound)
	if err != nil {
		return "", err
	}
	p.pc, p.offer = pc, offer
	pc.OnConnectionStateChange(p.onState)
	pc.OnTrack(p.onTrack)
	if err := setOffer(pc, offer); err != nil {
		return "", err
	}
	gathered, err := setAnswer(pc)
	if err != nil {
		return "", err
	}
	for _, t := range pc.GetTransceivers() {
		if t.Direction() == webrtc.RTPTransceiverDirectionRecvonly || t.Direction() == webrtc.RTPTransceiverDirectionSendrecv {
			p.expected++
		}
	}
	if p.expected == 0 {
		return "", refuse(http.StatusNotAcceptable, "the offer sends none of the codecs this server receives (%s)", inboundCodecNames)
	}
	return gatheredAnswer(ctx, pc, offer, gathered, p.srv.cfg.HandshakeTimeout)
}

// servePublisherSession answers DELETE and PATCH on a WHIP session URL,
// authenticated for publishing on its path.
func (s *Server) servePublisherSession(w http.ResponseWriter, r *http.Request, rt route) {
	if !allow(w, r, http.MethodDelete, http.MethodPatch) {
		return
	}
	if s.gate.Check(w, r, authz.ActionPublish, rt.path) == nil {
		return
	}
	p, ok := s.publishers.lookup(rt)
	if !ok {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	if r.Method == http.MethodDelete {
		p.stop("deleted by the client")
		select {
		case <-p.done:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	trickle(w, r, p.pc, p.offer, p.etag, p.logger)
}

// serveICEOptions answers an authenticated OPTIONS on the WHEP or WHIP
// endpoint (a request with credentials, which a CORS preflight never has)
// with the ICE servers in Link headers, so that a client can configure its
// peer connection before the offer. It returns false for everything else.
func (s *Server) serveICEOptions(w http.ResponseWriter, r *http.Request, rt route) bool {
	if r.Method != http.MethodOptions || (rt.kind != routeWHEP && rt.kind != routeWHIP) ||
		r.Header.Get("Access-Control-Request-Method") != "" || r.Header.Get("Authorization") == "" {
		return false
	}
	if s.gate.CORS(w, &http.Request{Method: http.MethodGet, Header: r.Header}) {
		return true
	}
	action := authz.ActionRead
	if rt.kind == routeWHIP {
		action = authz.ActionPublish
	}
	if s.gate.Check(w, r, action, rt.path) == nil {
		return true
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Access-Control-Expose-Headers", "Link, Accept-Post")
	s.setLinks(h)
	w.WriteHeader(http.StatusNoContent)
	return true
}

// errNoInboundTrack: the publisher connected but sent no track in time.
var errNoInboundTrack = errors.New("webrtc: no track arrived")

// recoverTo ends p on a panic in one of its goroutines.
func (p *publisher) recoverTo() {
	panics.Recover(p.logger, "webrtc", func() { p.stop("internal error") })
}
