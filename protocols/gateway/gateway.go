// Package gateway is the Savant Media Gateway-compatible ingest: POST / with
// a Media protobuf body, authenticated through the pipeline, checked, and
// forwarded to the Savant writer as the bytes that arrived.
package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/savant"
)

// Sender is the Savant writer as the gateway sees it.
type Sender interface {
	Send(ctx context.Context, m savant.Outgoing) error
}

// Authenticator is the pipeline as the gateway sees it.
type Authenticator interface {
	Authenticate(ctx context.Context, req *authn.Request) (*authn.Identity, error)
}

// Handler serves POST /.
type Handler struct {
	Auth        Authenticator
	Writer      Sender
	Realm       func() string
	MaxBodySize func() int64
	// MaxBodiesInFlight bounds the bytes of buffer all request bodies being
	// read or forwarded hold together; past it a request is answered 503
	// with Retry-After. Nil: MaxBodySize × 16.
	MaxBodiesInFlight func() int64
	TrustedProxies    func() []netip.Prefix
	// Metrics counts the budget (nil: not counted).
	Metrics *Metrics
	Logger  *slog.Logger

	bodies budget
}

// retryAfter is the Retry-After of a 503 for the body budget, in seconds:
// bodies in flight are forwarded within a send timeout or dropped at
// readTimeout.
const retryAfter = "1"

// ServeHTTP answers as CONTRACT.md lists: 200 forwarded; 400 bad body or
// missing message; 401 not authenticated; 403 label rule or Shutdown; 413
// over the size limit; 503 the bodies in flight hold the memory budget
// (with Retry-After); 502 ack timeout; 504 send timeout. Bodies are empty.
//
// Credentials are judged before a byte of the body is read or a buffer
// reserved for it: a client without valid credentials costs its headers
// and nothing more. The body is then read into a buffer that grows with
// the bytes that arrive, charged to the budget. Once the body names its
// topic and labels the request is authenticated again for them (a cached
// decision; the path-less check cannot know them); that check records the
// request's one decision (the first is Preliminary).
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &answerWriter{ResponseWriter: rw}
	defer func() { h.Metrics.answered(w.code) }()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		status(w, http.StatusMethodNotAllowed)
		return
	}
	req := authn.Request{
		Action:      authz.ActionGateway,
		Protocol:    authn.ProtocolGateway,
		IP:          httpauth.ClientIP(r, h.TrustedProxies()),
		Credentials: httpauth.Credentials(r, httpauth.Options{}),
		Query:       r.URL.RawQuery,
		Preliminary: true, // the check with the topic records the decision
	}
	// The path-less check: a "forbidden" here still proves the
	// credentials (the topic may be allowed), so the body is read.
	if !h.authenticate(w, r, &req, false) {
		return
	}
	// A body declared over the limit is refused unread.
	limit := h.MaxBodySize()
	if r.ContentLength > limit {
		status(w, http.StatusRequestEntityTooLarge)
		return
	}
	bound := limit + 1 // a larger body is seen as one
	if r.ContentLength >= 0 {
		bound = r.ContentLength
	}
	var b body
	reuse := true // false once the writer may still hold the bytes
	defer func() { b.release(h, reuse) }()
	h.Metrics.readingBody(1)
	err := b.read(http.MaxBytesReader(rw, r.Body, limit), bound, h)
	h.Metrics.readingBody(-1)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, errBusy):
		h.Metrics.refused()
		w.Header().Set("Retry-After", retryAfter)
		status(w, http.StatusServiceUnavailable)
		return
	case errors.As(err, &tooLarge), err == nil && int64(len(b.buf)) > limit:
		status(w, http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		status(w, http.StatusBadRequest)
		return
	}
	var media *savant.Media
	err = errors.New("content type is not application/protobuf")
	if contentTypeOK(r.Header.Get("Content-Type")) {
		media, err = savant.ParseMedia(b.buf)
	}
	if err != nil {
		h.Logger.Debug("gateway body refused", "ip", req.IP.String(), "error", err)
		refuse(w, err)
		return
	}
	req.Path = string(media.Topic)
	req.Preliminary = false
	req.Labels = media.Info.Labels
	if req.Labels == nil {
		req.Labels = []string{}
	}
	if !h.authenticate(w, r, &req, true) {
		return
	}
	if media.IsShutdown() {
		h.Logger.Warn("refused a Shutdown message from a client", "ip", req.IP.String(), "topic", req.Path)
		status(w, http.StatusForbidden)
		return
	}
	err = h.Writer.Send(r.Context(), savant.Outgoing{Topic: media.Topic, Message: media.Message, Extra: media.Data, EndOfStream: media.IsEndOfStream()})
	reuse = r.Context().Err() == nil
	switch {
	case err == nil:
		status(w, http.StatusOK)
	case errors.Is(err, savant.ErrSendTimeout):
		status(w, http.StatusGatewayTimeout)
	case errors.Is(err, savant.ErrAckTimeout), errors.Is(err, savant.ErrNotAcknowledged):
		status(w, http.StatusBadGateway)
	case errors.Is(err, savant.ErrQueueFull), errors.Is(err, savant.ErrClosed):
		status(w, http.StatusServiceUnavailable)
	default:
		h.Logger.Error("savant send failed", "error", err)
		status(w, http.StatusInternalServerError)
	}
}

// take charges n bytes of body buffer to the budget (false: no room).
func (h *Handler) take(n int64) bool {
	limit := 16 * h.MaxBodySize()
	if h.MaxBodiesInFlight != nil {
		limit = h.MaxBodiesInFlight()
	}
	if !h.bodies.take(n, limit) {
		return false
	}
	h.Metrics.held(n)
	return true
}

// give returns n bytes to the budget.
func (h *Handler) give(n int64) {
	h.bodies.give(n)
	h.Metrics.held(-n)
}

// authenticate runs the pipeline and answers a failure. With final false a
// "forbidden" is not answered: the identity is known, and the caller goes
// on to report the body problem.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, req *authn.Request, final bool) bool {
	_, err := h.Auth.Authenticate(r.Context(), req)
	if err == nil || (!final && authn.KindOf(err) == authn.KindForbidden) {
		return true
	}
	httpauth.WriteError(w, err, h.Realm())
	return false
}

func contentTypeOK(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/protobuf" || mt == "application/x-protobuf")
}

// refuse answers 400 with what is wrong with the body (the field, for a
// message a Savant reader would refuse), as plain text; it holds no secret.
func refuse(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, err.Error()+"\n")
}

func status(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(code)
}

// answerWriter remembers the status code of the answer, for the metrics.
type answerWriter struct {
	http.ResponseWriter
	code int
}

func (w *answerWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *answerWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the connection's writer.
func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
