package webrtc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/stream"
	"github.com/streamgate/streamgate/protocols/webrtc"
)

// An SPS and PPS of a 320x240 H.264 stream (from x264, profile-level-id
// 42c00d: no browser offers that profile exactly).
var (
	testSPS = testharness.H264SPS()
	testPPS = testharness.H264PPS()
)

// A VPS, SPS and PPS of a 320x240 H.265 stream (from x265: Main profile,
// Main tier, level 2, general_level_idc 60).
var (
	testVPS265 = []byte{0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
		0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x95, 0x94, 0x09}
	testSPS265 = []byte{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00,
		0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f, 0x16, 0x59, 0x59, 0x52, 0x93, 0x0b, 0xc0, 0x5a,
		0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10}
	testPPS265 = []byte{0x44, 0x01, 0xc0, 0x73, 0xc1, 0x89}
)

const realm = "streamgate"

// fakeAuth grants viewer:secret, forbids blocked:secret, denies other
// credentials and asks for them when there are none. expiring:secret is
// granted for expiry.
type fakeAuth struct {
	expiry time.Duration

	mu   sync.Mutex
	reqs []authn.Request
}

func (a *fakeAuth) Authenticate(_ context.Context, req *authn.Request) (*authn.Identity, error) {
	a.mu.Lock()
	a.reqs = append(a.reqs, *req)
	a.mu.Unlock()
	c := req.Credentials
	switch {
	case c.IsEmpty():
		return nil, &authn.Error{Kind: authn.KindAskCredentials, Reason: authn.ReasonNoCredentials}
	case c.Pass != "secret":
		return nil, &authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonWrongPassword}
	case c.User == "blocked":
		return nil, &authn.Error{Kind: authn.KindForbidden, Reason: authn.ReasonNoPermission}
	case c.User == "viewer":
		return &authn.Identity{User: c.User, Backend: "fake"}, nil
	case c.User == "expiring":
		return &authn.Identity{User: c.User, Backend: "fake", Expires: time.Now().Add(a.expiry)}, nil
	}
	return nil, &authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonUnknownUser}
}

func (a *fakeAuth) last() authn.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reqs[len(a.reqs)-1]
}

// env is a hub, a WebRTC server in front of it and an HTTP server.
type env struct {
	hub  *stream.Hub
	auth *fakeAuth
	srv  *webrtc.Server
	reg  *prometheus.Registry
	url  string
	// closed gets the reason of every session the server logs as closed.
	closed chan string
}

// closeLog is the server's log handler: it passes each "session closed"
// entry's reason to reasons and, with WEBRTC_DEBUG, everything to next.
type closeLog struct {
	next    slog.Handler // nil: nothing else is logged
	reasons chan<- string
}

func (h *closeLog) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || (h.next != nil && h.next.Enabled(ctx, l))
}

func (h *closeLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "session closed" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "reason" {
				select {
				case h.reasons <- a.Value.String():
				default:
				}
			}
			return true
		})
	}
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *closeLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	if c.next != nil {
		c.next = c.next.WithAttrs(as)
	}
	return &c
}

func (h *closeLog) WithGroup(name string) slog.Handler {
	c := *h
	if c.next != nil {
		c.next = c.next.WithGroup(name)
	}
	return &c
}

// wantClosed waits up to 5 s for the server to end a session and checks
// the reason it logged.
func (e *env) wantClosed(t *testing.T, reason string) {
	t.Helper()
	select {
	case got := <-e.closed:
		if got != reason {
			t.Errorf("session closed with reason %q, want %q", got, reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no session closed within 5 s (want reason %q)", reason)
	}
}

func newEnv(t *testing.T, paths string, cfg webrtc.Config) *env {
	t.Helper()
	c, err := config.Parse("webrtc.yml", []byte(paths), nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan string, 16)
	h := &closeLog{reasons: closed}
	if os.Getenv("WEBRTC_DEBUG") != "" { // the server's and pion's logs, for debugging a test
		h.next = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	logger := slog.New(h)
	e := &env{hub: stream.NewHub(confmap.Paths(func() *config.Conf { return c }), nil, logger), auth: &fakeAuth{expiry: time.Hour},
		reg: prometheus.NewRegistry(), closed: closed}
	gate := &httpauth.Gate{Auth: e.auth, Protocol: authn.ProtocolWebRTC, Realm: func() string { return realm },
		AllowOrigins: func() []string { return []string{"*", "https://player.example"} }}
	cfg.Registerer, cfg.Logger = e.reg, logger
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 5 * time.Second
	}
	e.srv, err = webrtc.New(cfg, gate, e.hub)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e.srv)
	e.url = hs.URL
	t.Cleanup(func() {
		hs.Close()
		e.srv.Close()
	})
	return e
}

// readers is the hub's reader count of path (-1: not published).
func (e *env) readers(path string) int {
	for _, p := range e.hub.List() {
		if p.Name == path {
			return p.Readers
		}
	}
	return -1
}

// wantReading fails t unless path has n hub readers and the sessions
// gauge reads n (when: at which step, for the message).
func (e *env) wantReading(t *testing.T, path string, n int, when string) {
	t.Helper()
	if got := e.readers(path); got != n {
		t.Errorf("hub readers%s %d, want %d", when, got, n)
	}
	if got := e.sessions(t); got != float64(n) {
		t.Errorf("sessions gauge%s %v, want %d", when, got, n)
	}
}

// sessions is the streamgate_webrtc_sessions gauge.
func (e *env) sessions(t *testing.T) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "streamgate_webrtc_sessions" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no streamgate_webrtc_sessions")
	return 0
}

// request sends an HTTP request; user "" sends no credentials.
func (e *env) request(t *testing.T, method, path, contentType, body, user string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.SetBasicAuth(user, "secret")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func h264Media() *description.Media {
	return &description.Media{Type: description.MediaTypeVideo,
		Formats: []format.Format{&format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: testSPS, PPS: testPPS}}}
}

func h265Media() *description.Media {
	return &description.Media{Type: description.MediaTypeVideo,
		Formats: []format.Format{&format.H265{PayloadTyp: 96, VPS: testVPS265, SPS: testSPS265, PPS: testPPS265}}}
}

func opusMedia() *description.Media {
	return &description.Media{Type: description.MediaTypeAudio,
		Formats: []format.Format{&format.Opus{PayloadTyp: 111, ChannelCount: 2}}}
}

// publish publishes medias at path and feeds them until the test ends:
// every 20 ms an access unit (an IDR every 10th, without parameter sets
// in-band; every IDR is larger than a packet) and an Opus packet.
func publish(t *testing.T, e *env, path string, medias ...*description.Media) *stream.Publication {
	t.Helper()
	p, err := e.hub.Publish(path, &description.Session{Medias: medias}, stream.SourceInfo{Protocol: "test"})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := int64(0); ; n++ {
			for _, m := range medias {
				u := &stream.Unit{Media: m, Format: m.Formats[0]}
				switch m.Formats[0].(type) {
				case *format.H264:
					u.PTS, u.AU = n*1800, [][]byte{frame(n)}
				case *format.H265:
					u.PTS, u.AU = n*1800, [][]byte{frame265(n)}
				case *format.Opus:
					u.PTS, u.AU = n*960, [][]byte{{0xfc, 0x01, 0x02, 0x03}}
				}
				p.WriteUnit(u)
			}
			select {
			case <-stop:
				return
			case <-p.Done():
				return
			case <-tick.C:
			}
		}
	})
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
		p.Close()
	})
	return p
}

// frame is the n-th slice: an IDR of 3000 bytes every 10th, else a small
// non-IDR slice.
func frame(n int64) []byte {
	if n%10 == 0 {
		idr := make([]byte, 3000)
		idr[0] = 0x65
		for i := 1; i < len(idr); i++ {
			idr[i] = byte(i)
		}
		return idr
	}
	return []byte{0x41, 0x9a, byte(n), 0x01}
}

// frame265 is the n-th H.265 slice: an IDR (IDR_W_RADL) of 3000 bytes
// every 10th, else a small TRAIL_R slice.
func frame265(n int64) []byte {
	if n%10 == 0 {
		idr := make([]byte, 3000)
		idr[0], idr[1] = 19<<1, 0x01
		for i := 2; i < len(idr); i++ {
			idr[i] = byte(i)
		}
		return idr
	}
	return []byte{1 << 1, 0x01, byte(n), 0x01}
}

// client is a pion WHEP player that reads only loopback candidates.
type client struct {
	pc       *pion.PeerConnection
	frames   chan [][]byte    // depacketized video access units
	audio    chan *rtp.Packet // Opus packets
	states   chan pion.PeerConnectionState
	location string
}

func newClient(t *testing.T) *client {
	t.Helper()
	pc := testharness.LoopbackPeerConnection(t, pion.Configuration{})
	c := &client{pc: pc, frames: make(chan [][]byte, 1000), audio: make(chan *rtp.Packet, 1000),
		states: make(chan pion.PeerConnectionState, 16)}
	testharness.Receive(t, pc, pion.RTPCodecTypeVideo, pion.RTPCodecTypeAudio)
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		select {
		case c.states <- s:
		default:
		}
	})
	pc.OnTrack(func(track *pion.TrackRemote, _ *pion.RTPReceiver) {
		if track.Kind() == pion.RTPCodecTypeAudio {
			readAudio(track, c.audio)
			return
		}
		readVideo(track, c.frames)
	})
	testharness.GatheredOffer(t, pc)
	return c
}

func readAudio(track *pion.TrackRemote, out chan<- *rtp.Packet) {
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		select {
		case out <- pkt:
		default:
		}
	}
}

// readVideo sends the track's H.264 or H.265 access units to out; for
// another codec (VP8, VP9, AV1), each packet's payload after the codec's
// mime type.
func readVideo(track *pion.TrackRemote, out chan<- [][]byte) {
	mime := track.Codec().MimeType
	var decode func(*rtp.Packet) ([][]byte, error)
	switch mime {
	case pion.MimeTypeH264:
		dec := &rtph264.Decoder{PacketizationMode: 1}
		if dec.Init() != nil {
			return
		}
		decode = dec.Decode
	case pion.MimeTypeH265:
		dec := &rtph265.Decoder{}
		if dec.Init() != nil {
			return
		}
		decode = dec.Decode
	}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		if decode == nil {
			select {
			case out <- [][]byte{[]byte(mime), pkt.Payload}:
			default:
			}
			continue
		}
		au, err := decode(pkt)
		if err != nil {
			continue // more packets needed
		}
		select {
		case out <- au:
		default:
		}
	}
}

// offer is the client's offer with all its candidates.
func (c *client) offer() string { return c.pc.LocalDescription().SDP }

// play posts the offer to path as user and applies the answer.
func (c *client) play(t *testing.T, e *env, path, user string) {
	t.Helper()
	res := e.request(t, http.MethodPost, "/"+path+"/whep", "application/sdp", c.offer(), user)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST whep: %d %s", res.StatusCode, body)
	}
	c.location = res.Header.Get("Location")
	if err := c.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(body)}); err != nil {
		t.Fatal(err)
	}
}

// waitState waits up to 10 s for the connection to reach one of states
// and returns the one it reached.
func (c *client) waitState(t *testing.T, states ...pion.PeerConnectionState) pion.PeerConnectionState {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-c.states:
			for _, want := range states {
				if s == want {
					return s
				}
			}
		case <-timeout:
			t.Fatalf("the connection did not reach %v within 10 s (now %v)", states, c.pc.ConnectionState())
		}
	}
}

// wantClosed waits up to 10 s for the connection to end and checks that
// it was closed (the server's DTLS close_notify), not failed on a timeout.
func (c *client) wantClosed(t *testing.T) {
	t.Helper()
	if s := c.waitState(t, pion.PeerConnectionStateClosed, pion.PeerConnectionStateFailed); s != pion.PeerConnectionStateClosed {
		t.Errorf("the connection ended %v, want closed by the server", s)
	}
}

var errTimeout = errors.New("timeout")

// nextFrame returns the next video access unit.
func (c *client) nextFrame() ([][]byte, error) {
	select {
	case au := <-c.frames:
		return au, nil
	case <-time.After(5 * time.Second):
		return nil, errTimeout
	}
}

func naluTypes(au [][]byte) []int {
	out := make([]int, len(au))
	for i, n := range au {
		out[i] = int(n[0] & 0x1f)
	}
	return out
}

// playedCodec says how wantPlayedFrames reads one codec's access units.
type playedCodec struct {
	types      func(au [][]byte) []int // the NAL unit types of an access unit
	keyframe   []int                   // the NAL unit types of an IDR access unit: parameter sets, IDR
	params     [][]byte                // the stream's parameter sets, in the order they precede an IDR
	paramNames string                  // their names, for messages: "SPS, PPS"
	frame      []byte                  // the IDR the publisher sends
	unit       string                  // what a message calls an access unit: "frame"
}

// wantPlayedFrames reads 25 access units from c: the first is an IDR with
// the stream's parameter sets in front, as is every later IDR, which
// arrives whole however many packets it took; the others are single
// non-IDR slices (type 1). At least 2 IDRs and 10 others must come.
func wantPlayedFrames(t *testing.T, c *client, v playedCodec) {
	t.Helper()
	keyframe, idr := v.keyframe, v.keyframe[len(v.keyframe)-1]
	var idrs, others int
	for i := 0; i < 25; i++ {
		au, err := c.nextFrame()
		if err != nil {
			t.Fatalf("%s %d: %v", v.unit, i, err)
		}
		types := v.types(au)
		if i == 0 && !slices.Equal(types, keyframe) {
			t.Fatalf("first %s NAL unit types %v, want %s, IDR %v", v.unit, types, v.paramNames, keyframe)
		}
		switch {
		case slices.Contains(types, idr):
			idrs++
			if !slices.Equal(types, keyframe) {
				t.Fatalf("IDR %v without the stream's %s in front", types, v.paramNames)
			}
			for j, p := range v.params {
				if !bytes.Equal(au[j], p) {
					t.Fatalf("IDR %v: NAL unit %d is not the stream's (%x, want %x)", types, j, au[j], p)
				}
			}
			if got := au[len(v.params)]; !bytes.Equal(got, v.frame) {
				t.Fatalf("IDR of %d bytes, want the %d sent", len(got), len(v.frame))
			}
		case slices.Equal(types, []int{1}):
			others++
		default:
			t.Fatalf("unexpected %s %v", v.unit, types)
		}
	}
	if idrs < 2 || others < 10 {
		t.Errorf("got %d IDR and %d other %ss", idrs, others, v.unit)
	}
}
