package rtmp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/protocols/rtmp"
	"github.com/streamgate/streamgate/protocols/stream"
)

// fakeAuth knows pub (publish) and viewer (read), both with password pw,
// and records every request.
type fakeAuth struct {
	mu   sync.Mutex
	reqs []authn.Request
}

func (a *fakeAuth) Authenticate(_ context.Context, r *authn.Request) (*authn.Identity, error) {
	a.mu.Lock()
	a.reqs = append(a.reqs, *r)
	a.mu.Unlock()
	c := r.Credentials
	allowed := map[string]authz.Action{"pub": authz.ActionPublish, "viewer": authz.ActionRead}
	switch action, known := allowed[c.User]; {
	case c.IsEmpty():
		return nil, &authn.Error{Kind: authn.KindAskCredentials, Reason: authn.ReasonNoCredentials}
	case !known || c.Pass != "pw":
		return nil, &authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonWrongPassword}
	case action != r.Action:
		return nil, &authn.Error{Kind: authn.KindForbidden, Reason: authn.ReasonNoPermission}
	}
	return &authn.Identity{User: c.User}, nil
}

func (a *fakeAuth) last() authn.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reqs[len(a.reqs)-1]
}

func startServer(t *testing.T) (*rtmp.Server, *stream.Hub, *fakeAuth) {
	t.Helper()
	conf, err := config.Parse("test.yml", []byte("paths:\n  cam: {}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := stream.NewHub(confmap.Paths(func() *config.Conf { return conf }), nil, logger)
	a := &fakeAuth{}
	s, err := rtmp.Listen(rtmp.Config{Name: "rtmp", Address: "127.0.0.1:0", ReadTimeout: 5 * time.Second,
		WriteTimeout: 5 * time.Second}, a, hub, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, hub, a
}

func dial(t *testing.T, s *rtmp.Server, rawPath string, publish bool) (*gortmplib.Client, error) {
	t.Helper()
	u, err := url.Parse("rtmp://" + s.Addr() + rawPath)
	if err != nil {
		t.Fatal(err)
	}
	c := &gortmplib.Client{URL: u, Publish: publish}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Initialize(ctx); err != nil {
		return nil, err
	}
	t.Cleanup(c.Close)
	return c, nil
}

// Refusals come before the path is looked at, as one status per kind of
// failure, and nothing is published.
func TestRefusals(t *testing.T) {
	t.Parallel()
	s, hub, a := startServer(t)
	for _, c := range []struct {
		name    string
		path    string
		publish bool
		want    string
	}{
		{"no credentials", "/cam", true, "authentication failed"},
		{"wrong password", "/cam?user=pub&pass=nope", true, "authentication failed"},
		{"wrong password, unconfigured path", "/nope?user=pub&pass=nope", true, "authentication failed"},
		{"unknown user, unconfigured path", "/nope?user=ghost&pass=pw", false, "authentication failed"},
		{"reader publishing", "/cam?user=viewer&pass=pw", true, "forbidden"},
		{"publisher reading", "/cam?user=pub&pass=pw", false, "forbidden"},
		{"unconfigured path after authentication", "/nope?user=pub&pass=pw", true, "path is not configured"},
		{"nothing published", "/cam?user=viewer&pass=pw", false, "stream not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := dial(t, s, c.path, c.publish)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a refusal saying %q", err, c.want)
			}
			if r := a.last(); r.Protocol != authn.ProtocolRTMP || r.IP.String() != "127.0.0.1" {
				t.Errorf("request %+v, want protocol rtmp from 127.0.0.1", r)
			}
		})
	}
	if l := hub.List(); len(l) != 0 {
		t.Errorf("paths published after refusals: %+v", l)
	}
}

func TestTokenReachesThePipeline(t *testing.T) {
	t.Parallel()
	s, _, a := startServer(t)
	// A slash in a query must be escaped: RTMP clients split app and
	// stream key at slashes.
	if _, err := dial(t, s, "/live/cam?token=exp=9~acl=%2Flive%2F*~hmac=00", true); err == nil {
		t.Fatal("publishing with an unknown token succeeded")
	}
	r := a.last()
	if r.Credentials.Token != "exp=9~acl=/live/*~hmac=00" || r.Path != "live/cam" || r.Action != authz.ActionPublish {
		t.Errorf("request %+v, want the token, path live/cam, action publish", r)
	}
}

var aacConfig = &mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100, ChannelConfig: 1}

// publishAudio writes AAC access units as fast as the server takes them,
// 1024 samples apart, until ctx ends.
func publishAudio(ctx context.Context, c *gortmplib.Client) error {
	track := &gortmplib.Track{Codec: &codecs.MPEG4Audio{Config: aacConfig}}
	w := &gortmplib.Writer{Conn: c, Tracks: []*gortmplib.Track{track}}
	if err := w.Initialize(); err != nil {
		return err
	}
	for i := 0; ctx.Err() == nil; i++ {
		pts := time.Duration(i) * 1024 * time.Second / 44100
		if err := w.WriteMPEG4Audio(track, pts, []byte{0x21, 0x10, byte(i)}); err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// A publisher's audio reaches the hub with PTS in the sample rate, and a
// reader gets it back with the same configuration; closing the server ends
// the publication.
func TestPublishAndPlay(t *testing.T) {
	t.Parallel()
	s, hub, _ := startServer(t)
	pub, err := dial(t, s, "/cam?user=pub&pass=pw", true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pubErr := make(chan error, 1)
	go func() { pubErr <- publishAudio(ctx, pub) }()

	var p *stream.Publication
	for deadline := time.Now().Add(10 * time.Second); p == nil; time.Sleep(20 * time.Millisecond) {
		if p, _ = hub.Get("cam"); p == nil && time.Now().After(deadline) {
			t.Fatal("the path was not published")
		}
	}
	if p.Source.Protocol != "rtmp" || p.Source.User != "pub" || len(p.Desc.Medias) != 1 {
		t.Fatalf("publication %+v, medias %d", p.Source, len(p.Desc.Medias))
	}
	units := make(chan *stream.Unit, 64)
	p.AddSink("test", 64, func(u *stream.Unit) {
		select {
		case units <- u:
		default:
		}
	}, nil)
	u1, u2 := <-units, <-units
	// RTMP timestamps are milliseconds: 1024 samples ± 1 ms.
	if step := u2.PTS - u1.PTS; step < 1024-45 || step > 1024+45 || u1.Format.ClockRate() != 44100 {
		t.Errorf("PTS step %d at clock rate %d, want 1024 ± 44 at 44100", step, u1.Format.ClockRate())
	}

	rd, err := dial(t, s, "/cam?user=viewer&pass=pw", false)
	if err != nil {
		t.Fatal(err)
	}
	_ = rd.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
	r := &gortmplib.Reader{Conn: rd}
	if err := r.Initialize(); err != nil {
		t.Fatal(err)
	}
	tracks := r.Tracks()
	if len(tracks) != 1 {
		t.Fatalf("reader got %d tracks, want 1", len(tracks))
	}
	got, ok := tracks[0].Codec.(*codecs.MPEG4Audio)
	if !ok || got.Config.SampleRate != 44100 || got.Config.ChannelConfig != 1 {
		t.Fatalf("reader track %#v, want AAC 44100 Hz mono", tracks[0].Codec)
	}
	n := 0
	r.OnDataMPEG4Audio(tracks[0], func(time.Duration, []byte) { n++ })
	for n < 10 {
		if err := r.Read(); err != nil {
			t.Fatalf("after %d units: %v", n, err)
		}
	}

	s.Close()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the publication did not end when the server closed")
	}
	if err := <-pubErr; err == nil || errors.Is(err, context.Canceled) {
		t.Logf("publisher ended with %v", err)
	}
}
