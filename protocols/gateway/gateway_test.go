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
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

// readSpy is a body that records whether it was read.
type readSpy struct {
	read bool
	r    io.Reader
}

func (s *readSpy) Read(p []byte) (int, error) {
	s.read = true
	return s.r.Read(p)
}

// TestHandlerCredentialsBeforeBody: without valid credentials not a byte
// of the body is read (nor a buffer reserved for the size it declares).
func TestHandlerCredentialsBeforeBody(t *testing.T) {
	good, _ := media(t, "cam", frame("cam"))
	for _, pass := range []string{"", "bad"} {
		spy := &readSpy{r: bytes.NewReader(good)}
		h := &gateway.Handler{Auth: fakeAuth{}, Writer: &fakeWriter{}, Realm: func() string { return "gw" },
			MaxBodySize: func() int64 { return 16 << 20 }, TrustedProxies: func() []netip.Prefix { return nil },
			Logger: slog.New(slog.DiscardHandler)}
		r := httptest.NewRequest(http.MethodPost, "/", spy)
		r.ContentLength = 16 << 20
		r.Header.Set("Content-Type", "application/protobuf")
		if pass != "" {
			r.SetBasicAuth("producer", pass)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusUnauthorized || spy.read {
			t.Errorf("password %q: status %d, body read %v; want 401 and the body unread", pass, rec.Code, spy.read)
		}
	}
}

// TestHandlerBodyBudget: while one body holds the in-flight budget another
// request is answered 503 with Retry-After and counted; once the first is
// done both go through.
func TestHandlerBodyBudget(t *testing.T) {
	reg := prometheus.NewRegistry()
	w := &fakeWriter{}
	h := &gateway.Handler{Auth: fakeAuth{}, Writer: w, Realm: func() string { return "gw" },
		MaxBodySize: func() int64 { return 1 << 20 }, MaxBodiesInFlight: func() int64 { return 2 << 20 },
		TrustedProxies: func() []netip.Prefix { return nil }, Metrics: gateway.NewMetrics(reg),
		Logger: slog.New(slog.DiscardHandler)}
	metric := func(name string) float64 {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == name {
				m := f.GetMetric()[0]
				return m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
		}
		return 0
	}
	post := func(body io.Reader, length int64) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/", body)
		r.ContentLength = length
		r.Header.Set("Content-Type", "application/protobuf")
		r.SetBasicAuth("producer", "p")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	first, _ := media(t, "cam", frame("cam"), bytes.Repeat([]byte{1}, 900<<10))
	second, _ := media(t, "cam", frame("cam"), bytes.Repeat([]byte{2}, 900<<10))

	// The first body arrives slowly: most of it, then the rest later.
	pr, pw := io.Pipe()
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- post(pr, -1) }()
	go func() { _, _ = pw.Write(first[:len(first)-10]) }()
	deadline := time.Now().Add(10 * time.Second)
	for metric("streamgate_gateway_body_bytes_in_flight") < float64(len(first)-10) {
		if time.Now().After(deadline) {
			t.Fatalf("the first body holds %v bytes of the budget", metric("streamgate_gateway_body_bytes_in_flight"))
		}
		time.Sleep(5 * time.Millisecond)
	}

	rec := post(bytes.NewReader(second), int64(len(second)))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("over the budget: status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if got := metric("streamgate_gateway_body_budget_refusals_total"); got != 1 {
		t.Errorf("refusals counted %v, want 1", got)
	}

	_, _ = pw.Write(first[len(first)-10:])
	_ = pw.Close()
	if rec := <-done; rec.Code != http.StatusOK {
		t.Fatalf("the first request: status %d, want 200", rec.Code)
	}
	if rec := post(bytes.NewReader(second), int64(len(second))); rec.Code != http.StatusOK {
		t.Fatalf("the second request, alone: status %d, want 200", rec.Code)
	}
	if got := metric("streamgate_gateway_body_bytes_in_flight"); got != 0 {
		t.Errorf("%v bytes still charged once every request is done", got)
	}
	if len(w.sent) != 2 {
		t.Errorf("forwarded %d messages, want 2", len(w.sent))
	}
	answers := func(code string) float64 {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				if f.GetName() == "streamgate_gateway_answers_total" && len(m.GetLabel()) == 1 &&
					m.GetLabel()[0].GetValue() == code {
					return m.GetCounter().GetValue()
				}
			}
		}
		return -1
	}
	if ok, busy, bad := answers("200"), answers("503"), answers("400"); ok != 2 || busy != 1 || bad != 0 {
		t.Errorf("answers counted: 200 %v, 503 %v, 400 %v; want 2, 1, 0", ok, busy, bad)
	}
}

// Bodies of unannounced length are read into buffers that grow with what
// arrives (from a recycled buffer or 32 KiB, doubling): small, middling and
// multi-MiB bodies all forward whole.
func TestHandlerBodyGrowsWithBytes(t *testing.T) {
	w := &fakeWriter{}
	h := &gateway.Handler{Auth: fakeAuth{}, Writer: w, Realm: func() string { return "gw" },
		MaxBodySize: func() int64 { return 16 << 20 }, MaxBodiesInFlight: func() int64 { return 32 << 20 },
		TrustedProxies: func() []netip.Prefix { return nil }, Logger: slog.New(slog.DiscardHandler)}
	for _, size := range []int{1, 40 << 10, 3 << 20} {
		body, _ := media(t, "cam", frame("cam"), bytes.Repeat([]byte{7}, size))
		r := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(body)))
		r.ContentLength = -1
		r.Header.Set("Content-Type", "application/protobuf")
		r.SetBasicAuth("producer", "p")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || len(w.sent[len(w.sent)-1].Extra[0]) != size {
			t.Fatalf("a chunked body of %d bytes: status %d", size, rec.Code)
		}
	}
}
