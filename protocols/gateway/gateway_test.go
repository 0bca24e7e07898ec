package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/gateway"
	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// fakeAuth answers from the Authorization header: none → ask, "bad" →
// denied, anything else → granted, except that a message for the topic
// "other" is forbidden.
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, req *authn.Request) (*authn.Identity, error) {
	switch {
	case req.Credentials.User == "" && req.Credentials.Pass == "":
		return nil, &authn.Error{Kind: authn.KindAskCredentials, Reason: "none"}
	case req.Credentials.Pass == "bad":
		return nil, &authn.Error{Kind: authn.KindDenied, Reason: "wrong"}
	case req.Path == "other":
		return nil, &authn.Error{Kind: authn.KindForbidden, Reason: "path"}
	}
	return &authn.Identity{User: req.Credentials.User}, nil
}

// fakeWriter records what it is sent and answers err.
type fakeWriter struct {
	err  error
	sent []savant.Outgoing
}

func (w *fakeWriter) Send(_ context.Context, m savant.Outgoing) error {
	// A copy: the handler may reuse its buffer once Send returns.
	c := savant.Outgoing{Topic: bytes.Clone(m.Topic), Message: bytes.Clone(m.Message), EndOfStream: m.EndOfStream}
	for _, e := range m.Extra {
		c.Extra = append(c.Extra, bytes.Clone(e))
	}
	w.sent = append(w.sent, c)
	return w.err
}

func media(t *testing.T, topic string, m *pb.Message, data ...[]byte) (body, msg []byte) {
	t.Helper()
	msg, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	body, err = proto.Marshal(&pb.Media{Message: m, Topic: []byte(topic), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return body, msg
}

func frame(source string) *pb.Message {
	return &pb.Message{ProtocolVersion: "1.15.1", Content: &pb.Message_VideoFrame{VideoFrame: &pb.VideoFrame{SourceId: source, Width: 1, Height: 1, Uuid: "0192e4b5-3b7c-7c3d-8a6e-3b1f4c5d6e7f", Content: &pb.VideoFrame_None{None: &pb.NoneFrame{}}}}}
}

// TestHandlerAnswers: CONTRACT.md's gateway answers (200, 400, 401, 403,
// 413, 502, 504; credentials checked before the body is judged), the 503 of
// a full or closed writer queue and the 500 of a socket error, and what
// reaches the writer for each.
func TestHandlerAnswers(t *testing.T) {
	good, goodMsg := media(t, "cam", frame("cam"), []byte("data"))
	other, _ := media(t, "other", frame("other"))
	shutdown, _ := media(t, "cam", &pb.Message{Content: &pb.Message_Shutdown{Shutdown: &pb.Shutdown{Auth: "x"}}})
	eos, _ := media(t, "cam", &pb.Message{Content: &pb.Message_EndOfStream{EndOfStream: &pb.EndOfStream{SourceId: "cam"}}})
	big := bytes.Repeat([]byte{1}, 200)

	cases := []struct {
		name      string
		method    string
		pass      string // "" = no credentials
		ctype     string
		body      []byte
		chunked   bool // no Content-Length
		writerErr error
		want      int
		forwarded bool
	}{
		{name: "forwarded", pass: "p", body: good, want: 200, forwarded: true},
		{name: "end of stream", pass: "p", body: eos, want: 200, forwarded: true},
		{name: "x-protobuf", pass: "p", ctype: "application/x-protobuf", body: good, want: 200, forwarded: true},
		{name: "GET", method: http.MethodGet, pass: "p", want: 405},
		{name: "no credentials", body: good, want: 401},
		{name: "wrong password", pass: "bad", body: good, want: 401},
		{name: "wrong password, bad body: 401 first", pass: "bad", body: []byte{0xff}, want: 401},
		{name: "no credentials, too large: 401 first", body: big, want: 401},
		{name: "empty body", pass: "p", body: nil, want: 400},
		{name: "not protobuf", pass: "p", body: []byte{0xff, 0xff}, want: 400},
		{name: "wrong content type", pass: "p", ctype: "application/json", body: good, want: 400},
		{name: "topic not allowed", pass: "p", body: other, want: 403},
		{name: "Shutdown", pass: "p", body: shutdown, want: 403},
		{name: "too large", pass: "p", body: big, want: 413},
		{name: "too large, chunked", pass: "p", body: big, chunked: true, want: 413},
		{name: "send timeout", pass: "p", body: good, writerErr: savant.ErrSendTimeout, want: 504, forwarded: true},
		{name: "ack timeout", pass: "p", body: good, writerErr: savant.ErrAckTimeout, want: 502, forwarded: true},
		{name: "queue full", pass: "p", body: good, writerErr: savant.ErrQueueFull, want: 503, forwarded: true},
		{name: "writer closed", pass: "p", body: good, writerErr: savant.ErrClosed, want: 503, forwarded: true},
		{name: "socket error", pass: "p", body: good, writerErr: errors.New("zmq: boom"), want: 500, forwarded: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &fakeWriter{err: c.writerErr}
			h := &gateway.Handler{Auth: fakeAuth{}, Writer: w, Realm: func() string { return "gw" },
				MaxBodySize: func() int64 { return 150 }, TrustedProxies: func() []netip.Prefix { return nil },
				Logger: slog.New(slog.DiscardHandler)}
			method := c.method
			if method == "" {
				method = http.MethodPost
			}
			var body io.Reader = bytes.NewReader(c.body)
			if c.chunked {
				body = io.MultiReader(body) // hides the length
			}
			r := httptest.NewRequest(method, "/", body)
			if c.chunked {
				r.ContentLength = -1
			}
			ctype := c.ctype
			if ctype == "" {
				ctype = "application/protobuf"
			}
			r.Header.Set("Content-Type", ctype)
			if c.pass != "" {
				r.SetBasicAuth("producer", c.pass)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != c.want {
				t.Fatalf("status %d, want %d", rec.Code, c.want)
			}
			if c.want == http.StatusBadRequest {
				if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") || rec.Body.Len() == 0 {
					t.Errorf("400 %q (%s), want what is wrong as text", rec.Body.String(), rec.Header().Get("Content-Type"))
				}
			} else if rec.Body.Len() != 0 {
				t.Errorf("body %q, want none", rec.Body.String())
			}
			switch c.want {
			case 401:
				if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="gw"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			case 405:
				if got := rec.Header().Get("Allow"); got != http.MethodPost {
					t.Errorf("Allow %q", got)
				}
			}
			if c.forwarded != (len(w.sent) == 1) {
				t.Fatalf("forwarded %d messages, want forwarded=%v", len(w.sent), c.forwarded)
			}
			if c.name == "forwarded" {
				got := w.sent[0]
				if string(got.Topic) != "cam" || !bytes.Equal(got.Message, goodMsg) || len(got.Extra) != 1 ||
					string(got.Extra[0]) != "data" || got.EndOfStream {
					t.Errorf("forwarded %+v", got)
				}
			}
			if c.name == "end of stream" && !w.sent[0].EndOfStream {
				t.Error("an EndOfStream was not marked as one for the writer")
			}
		})
	}
}

// Bodies of consecutive requests never leak into each other through the
// recycled buffers.
func TestHandlerBuffersDoNotLeak(t *testing.T) {
	w := &fakeWriter{}
	h := &gateway.Handler{Auth: fakeAuth{}, Writer: w, Realm: func() string { return "gw" },
		MaxBodySize: func() int64 { return 1 << 20 }, TrustedProxies: func() []netip.Prefix { return nil },
		Logger: slog.New(slog.DiscardHandler)}
	var want [][]byte
	for i, size := range []int{5000, 10, 70000, 3} {
		data := bytes.Repeat([]byte{byte('a' + i)}, size)
		body, _ := media(t, "cam", frame("cam"), data)
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/protobuf")
		r.SetBasicAuth("producer", "p")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 200 {
			t.Fatalf("request %d: status %d", i, rec.Code)
		}
		want = append(want, data)
	}
	for i, m := range w.sent {
		if !bytes.Equal(m.Extra[0], want[i]) {
			t.Errorf("request %d forwarded %d bytes starting %q, want %d of %q", i, len(m.Extra[0]),
				strings.TrimSpace(string(m.Extra[0][:min(3, len(m.Extra[0]))])), len(want[i]), want[i][:1])
		}
	}
}
