package srt

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	gosrt "github.com/datarhei/gosrt"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/protocols/stream"
)

// fakeAuth knows users by name, password and allowed actions, and answers
// as the pipeline does.
type fakeAuth struct {
	users map[string]fakeUser
	mu    sync.Mutex
	paths []string // every path asked about, in order
}

type fakeUser struct {
	pass    string
	actions []authz.Action
}

func (a *fakeAuth) Authenticate(_ context.Context, r *authn.Request) (*authn.Identity, error) {
	a.mu.Lock()
	a.paths = append(a.paths, r.Path)
	a.mu.Unlock()
	c := r.Credentials
	if r.Protocol != authn.ProtocolSRT {
		return nil, &authn.Error{Kind: authn.KindUnavailable, Reason: "wrong protocol " + string(r.Protocol)}
	}
	if c.IsEmpty() {
		return nil, &authn.Error{Kind: authn.KindAskCredentials, Reason: authn.ReasonNoCredentials}
	}
	if c.User == "boom" {
		panic("fake authenticator bug") // TestSRTPanicEndsOnlyThatCaller
	}
	u, ok := a.users[c.User]
	if !ok || u.pass != c.Pass {
		return nil, &authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonWrongPassword}
	}
	if !slices.Contains(u.actions, r.Action) {
		return nil, &authn.Error{Kind: authn.KindForbidden, Reason: authn.ReasonNoPermission}
	}
	return &authn.Identity{User: c.User}, nil
}

type fixture struct {
	s    *Server
	hub  *stream.Hub
	auth *fakeAuth
}

const fixtureConf = `
paths:
  cam: {}
  other: {}
  enc:
    srtPublishPassphrase: publish-secret-1
    srtReadPassphrase: read-secret-22
  two:
    maxReaders: 1
`

func newFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	conf, err := config.Parse("test.yml", []byte(fixtureConf), nil)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := stream.NewHub(confmap.Paths(func() *config.Conf { return conf }), nil, logger)
	a := &fakeAuth{users: map[string]fakeUser{
		"pub":  {"pubpass", []authz.Action{authz.ActionPublish}},
		"rd":   {"rdpass", []authz.Action{authz.ActionRead}},
		"both": {"bothpass", []authz.Action{authz.ActionPublish, authz.ActionRead}},
	}}
	cfg := Config{Address: "127.0.0.1:0", ReadTimeout: 5 * time.Second, RefusalHold: -1,
		Passphrases: confmap.SRTPassphrases(func() *config.Conf { return conf })}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := Listen(cfg, a, hub, prometheus.NewRegistry(), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &fixture{s: s, hub: hub, auth: a}
}

func (f *fixture) dial(streamID, passphrase string) (gosrt.Conn, error) {
	c := gosrt.DefaultConfig()
	c.StreamId = streamID
	c.Passphrase = passphrase
	c.PayloadSize = payloadSize
	return gosrt.Dial("srt", f.s.Addr(), c)
}

// rejected waits until the server has counted n rejections with code.
func (f *fixture) rejected(t *testing.T, code RejectCode, n float64) {
	t.Helper()
	c := f.s.metrics.rejected.WithLabelValues(strconv.Itoa(int(code)))
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if testutil.ToFloat64(c) == n {
			return
		}
	}
	t.Errorf("rejections with code %d: %v, want %v", code, testutil.ToFloat64(c), n)
}

// publish sends sample.ts times times over conn, paced a little.
func publish(t *testing.T, conn gosrt.Conn, times int) {
	t.Helper()
	ts := sampleTS(t)
	for range times {
		for off := 0; off < len(ts); off += payloadSize {
			if _, err := conn.Write(ts[off:min(off+payloadSize, len(ts))]); err != nil {
				t.Errorf("publisher write: %v", err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func (f *fixture) waitPublished(t *testing.T, path string) *stream.Publication {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if p, err := f.hub.Get(path); err == nil {
			return p
		}
	}
	t.Fatalf("%s was not published", path)
	return nil
}

// publisher dials as pub with passphrase, publishes one sample to path and
// waits until the hub has the publication; the connection is closed when
// the test ends.
func (f *fixture) publisher(t *testing.T, path, passphrase string) (gosrt.Conn, *stream.Publication) {
	t.Helper()
	pc, err := f.dial("publish:"+path+":pub:pubpass", passphrase)
	if err != nil {
		t.Fatalf("publisher on %s: %v", path, err)
	}
	t.Cleanup(func() { pc.Close() })
	publish(t, pc, 1)
	return pc, f.waitPublished(t, path)
}

func TestSRTPublishAndRead(t *testing.T) {
	f := newFixture(t)
	pc, p := f.publisher(t, "cam", "")
	if p.Source.Protocol != "srt" || p.Source.User != "pub" {
		t.Errorf("source %+v", p.Source)
	}
	rc, err := f.dial("#!::r=cam,m=request,u=rd,s=rdpass", "")
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	// The reader is closed once it has had a whole sample's worth (of the
	// two sent), not after a fixed time.
	want := len(sampleTS(t))
	got := make(chan []byte)
	enough := make(chan struct{})
	go func() {
		var b []byte
		buf := make([]byte, 1500)
		for {
			n, err := rc.Read(buf)
			if err != nil {
				got <- b
				return
			}
			if b = append(b, buf[:n]...); len(b) >= want && len(b)-n < want {
				close(enough)
			}
		}
	}()
	publish(t, pc, 2)
	select {
	case <-enough:
	case <-time.After(10 * time.Second):
		t.Error("the reader did not get a whole sample's worth within 10 s")
	}
	rc.Close()
	ts := <-got
	if len(ts) == 0 || len(ts)%188 != 0 {
		t.Fatalf("reader got %d bytes", len(ts))
	}
	desc, units := demuxAll(t, ts)
	if len(desc.Medias) != 2 {
		t.Fatalf("reader got %d tracks", len(desc.Medias))
	}
	video := byFormat[*format.H264](units)
	if len(video) < 10 {
		t.Errorf("reader got %d video units", len(video))
	}
	pc.Close()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Error("the publication did not end when the publisher left")
	}
}

func TestSRTRejections(t *testing.T) {
	f := newFixture(t)
	f.publisher(t, "cam", "")
	cases := []struct {
		name     string
		streamID string
		code     RejectCode
	}{
		{"wrong password", "publish:other:pub:nope", RejectUnauthorized},
		{"unknown user", "publish:other:nobody:nope", RejectUnauthorized},
		{"no credentials", "publish:other", RejectUnauthorized},
		{"unconfigured path, wrong password", "publish:nowhere:pub:nope", RejectUnauthorized},
		{"unconfigured path, no credentials", "read:nowhere", RejectUnauthorized},
		{"reader cannot publish", "publish:other:rd:rdpass", RejectForbidden},
		{"publisher cannot read", "read:cam:pub:pubpass", RejectForbidden},
		{"unconfigured path", "publish:nowhere:pub:pubpass", RejectNotFound},
		{"not published", "read:other:rd:rdpass", RejectNotFound},
		{"busy", "publish:cam:both:bothpass", RejectConflict},
		{"malformed", "play:cam", RejectBadMode},
		{"malformed access control", "#!::m=publish", RejectBadRequest},
	}
	counts := map[RejectCode]float64{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := f.dial(c.streamID, "")
			if err == nil {
				conn.Close()
				t.Fatalf("%s: accepted", c.streamID)
			}
			// The handshake type on the wire is 1000 + the libsrt code
			// (gosrt's dialer prints it in base 32): what libsrt peers
			// decode back into SRT_REJX_*.
			if want := "REJECT (" + strconv.FormatUint(uint64(1000+c.code), 32) + ")"; !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %s (handshake type %d)", c.streamID, err, want, 1000+c.code)
			}
			counts[c.code]++
			f.rejected(t, c.code, counts[c.code])
		})
	}
	if _, err := f.hub.Get("other"); !errors.Is(err, stream.ErrNotPublished) {
		t.Errorf("a refused publisher published: %v", err)
	}
	// Credentials are checked first: the unconfigured path was asked about
	// before anything else happened.
	f.auth.mu.Lock()
	defer f.auth.mu.Unlock()
	if !slices.Contains(f.auth.paths, "nowhere") {
		t.Errorf("the pipeline was not asked about the unconfigured path: %v", f.auth.paths)
	}
}

func TestSRTPassphrase(t *testing.T) {
	f := newFixture(t)
	if _, err := f.dial("publish:enc:pub:pubpass", ""); err == nil {
		t.Fatal("publisher without passphrase accepted")
	}
	f.rejected(t, RejectUnsecure, 1)
	if _, err := f.dial("publish:enc:pub:pubpass", "not-the-secret"); err == nil {
		t.Fatal("publisher with a wrong passphrase accepted")
	}
	f.rejected(t, RejectBadSecret, 1)
	if _, err := f.dial("publish:cam:pub:pubpass", "unexpected-secret"); err == nil {
		t.Fatal("encrypted publisher on a path without passphrase accepted")
	}
	f.rejected(t, RejectUnsecure, 2)
	f.publisher(t, "enc", "publish-secret-1")
	if _, err := f.dial("read:enc:rd:rdpass", "publish-secret-1"); err == nil {
		t.Fatal("reader with the publish passphrase accepted")
	}
	f.rejected(t, RejectBadSecret, 2)
	rc, err := f.dial("read:enc:rd:rdpass", "read-secret-22")
	if err != nil {
		t.Fatalf("reader with the read passphrase: %v", err)
	}
	rc.Close()
}

func TestSRTMaxReaders(t *testing.T) {
	f := newFixture(t)
	_, p := f.publisher(t, "two", "")
	r1, err := f.dial("read:two:rd:rdpass", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.dial("read:two:rd:rdpass", ""); err == nil {
		t.Fatal("a second reader was accepted past maxReaders: 1")
	}
	f.rejected(t, RejectOverload, 1)
	r1.Close()
	// The reader's place is freed when it leaves.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if p.AddReader(t) == nil {
			p.RemoveReader(t)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reader's place was not freed")
		}
	}
}

// A refusal for credentials is held until RefusalHold has passed since the
// handshake, so that callers retrying a refusal at once (GStreamer srtsrc,
// srt-live-transmit) retry about once per hold; other refusals are not.
func TestSRTRefusalHold(t *testing.T) {
	const hold = 400 * time.Millisecond
	f := newFixture(t, func(c *Config) { c.RefusalHold = hold })
	start := time.Now()
	if conn, err := f.dial("read:cam:rd:wrong", ""); err == nil {
		conn.Close()
		t.Fatal("accepted")
	}
	if d := time.Since(start); d < hold {
		t.Errorf("refused after %s, want no sooner than the hold (%s)", d, hold)
	}
	f.rejected(t, RejectUnauthorized, 1)
	if conn, err := f.dial("play:cam", ""); err == nil {
		conn.Close()
		t.Fatal("accepted a malformed streamid")
	}
	f.rejected(t, RejectBadMode, 1)
}
