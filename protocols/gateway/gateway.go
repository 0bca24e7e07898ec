// Package gateway is the Savant Media Gateway-compatible ingest: POST / with
// a Media protobuf body, authenticated through the pipeline, checked, and
// forwarded to the Savant writer as the bytes that arrived.
package gateway

import (
	"bytes"
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
	Auth           Authenticator
	Writer         Sender
	Realm          func() string
	MaxBodySize    func() int64
	TrustedProxies func() []netip.Prefix
	Logger         *slog.Logger
}

// ServeHTTP answers as CONTRACT.md lists: 200 forwarded; 400 bad body or
// missing message; 401 not authenticated; 403 label rule or Shutdown; 413
// over the size limit; 502 ack timeout; 504 send timeout. Bodies are empty.
//
// Credentials are checked before any body problem is reported, so a client
// learns nothing about the body without valid credentials (an empty POST
// with good credentials answers 400, as the Media Gateway's own test says).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	}
	// A body over the limit is refused unread, once the client has shown
	// valid credentials.
	limit := h.MaxBodySize()
	if r.ContentLength > limit {
		if h.authenticate(w, r, &req, false) {
			status(w, http.StatusRequestEntityTooLarge)
		}
		return
	}
	buf := getBuffer()
	reuse := true // false once the writer may still hold the bytes
	defer func() {
		if reuse {
			putBuffer(buf)
		}
	}()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	body := buf.Bytes()
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		if h.authenticate(w, r, &req, false) {
			status(w, http.StatusRequestEntityTooLarge)
		}
		return
	}
	if err != nil {
		status(w, http.StatusBadRequest)
		return
	}
	var media *savant.Media
	err = errors.New("content type is not application/protobuf")
	if contentTypeOK(r.Header.Get("Content-Type")) {
		media, err = savant.ParseMedia(body)
	}
	if err != nil {
		// Unparsable: authenticate for the path-less action, then say 400.
		if h.authenticate(w, r, &req, false) {
			h.Logger.Debug("gateway body refused", "ip", req.IP.String(), "error", err)
			refuse(w, err)
		}
		return
	}
	req.Path = string(media.Topic)
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

// Request bodies are recycled through a free list rather than a sync.Pool:
// a pool is emptied by every other garbage collection, and a stream of
// 100 KB frames allocates enough (here or in a subscriber sharing the
// process) to collect often, so each request would allocate, zero and fault
// in a fresh buffer. Send returns only once the writer has handed the bytes
// to libzmq (which copies them), so a buffer is free again after it.
const (
	keptBuffers   = 32      // one per concurrent request, roughly
	keptBufferCap = 1 << 20 // larger bodies (big keyframes) are left to the GC
)

var freeBuffers = make(chan *bytes.Buffer, keptBuffers)

func getBuffer() *bytes.Buffer {
	select {
	case b := <-freeBuffers:
		return b
	default:
		return new(bytes.Buffer)
	}
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > keptBufferCap {
		return
	}
	b.Reset()
	select {
	case freeBuffers <- b:
	default:
	}
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
