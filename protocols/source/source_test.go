package source

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/stream"
)

func testRunner(t *testing.T, url string, run func(context.Context, *session) error) (*Runner, *Metrics, *testharness.LockedBuffer) {
	t.Helper()
	c, err := config.Parse("s.yml", []byte("paths:\n  cam: {}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	panics.Register(reg, "source")
	logs := &testharness.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hub := stream.NewHub(confmap.Paths(func() *config.Conf { return c }), reg, logger)
	m := NewMetrics(reg)
	r, err := New(Options{Path: "cam", URL: url, ReadTimeout: time.Second}, hub, m, logger)
	if err != nil {
		t.Fatal(err)
	}
	r.run = run
	return r, m, logs
}

// A source whose code panics (a camera's garbage reaching a bug) is
// recovered, counted, logged without the URL's password and retried; Stop
// ends it.
func TestRunnerPanicRetried(t *testing.T) {
	var calls atomic.Int64
	r, m, logs := testRunner(t, "rtsp://cam:Secret-Pw@127.0.0.1:1/x", func(context.Context, *session) error {
		calls.Add(1)
		var b []byte
		_ = b[7] // index out of range
		return nil
	})
	before := panics.Count("source")
	r.Start()
	testharness.WaitFor(t, "a retry after the panic", 5*time.Second, func() bool { return calls.Load() >= 2 })
	r.Stop()
	if got := panics.Count("source") - before; got < 1 {
		t.Fatalf("panics counted: %v", got)
	}
	if got := testutil.ToFloat64(m.errors.WithLabelValues("rtsp")); got < 1 {
		t.Fatalf("streamgate_source_errors_total{kind=rtsp} = %v", got)
	}
	if r.State() != StateIdle {
		t.Fatalf("state after Stop: %s", r.State())
	}
	out := logs.String()
	if strings.Contains(out, "Secret-Pw") {
		t.Fatalf("the log shows the source's password:\n%s", out)
	}
	if !strings.Contains(out, "source failed; retrying") {
		t.Fatalf("no retry logged:\n%s", out)
	}
}

// A source that fails reports the error state until it connects again; an
// error quoting the URL is logged redacted.
func TestRunnerErrorState(t *testing.T) {
	fail := make(chan struct{})
	r, _, logs := testRunner(t, "rtmp://u:Secret-Pw@127.0.0.1:1/x", func(ctx context.Context, s *session) error {
		select {
		case <-fail:
			return errors.New("dial rtmp://u:Secret-Pw@127.0.0.1:1/x: refused")
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	r.Start()
	if r.State() != StateConnecting {
		t.Fatalf("state after Start: %s", r.State())
	}
	close(fail)
	testharness.WaitFor(t, "the failure logged", 5*time.Second, func() bool { return strings.Contains(logs.String(), "retrying") })
	r.Stop()
	if strings.Contains(logs.String(), "Secret-Pw") {
		t.Fatalf("the log shows the password:\n%s", logs.String())
	}
}

func TestKind(t *testing.T) {
	for url, want := range map[string]string{"rtsps://h/x": "rtsp", "RTMP://h/x": "rtmp", "srt://h:1": "srt",
		"https://h/i.m3u8": "hls", "udp+mpegts://h:1": "udp", "udp://h:1": "udp", "wheps://h/x/whep": "whep"} {
		if got, err := Kind(url); err != nil || got != want {
			t.Errorf("Kind(%s) = %q, %v; want %q", url, got, err, want)
		}
	}
	if _, err := Kind("ftp://h/x"); err == nil {
		t.Error("ftp accepted")
	}
}

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		typ, start string
		ok         bool
	}{{"", "", true}, {"clock", "20240102T030405Z", true}, {"clock", "yesterday", false}, {"npt", "30s", true}, {"smpte", "1m", true}, {"npt", "x", false}, {"what", "", false}} {
		if _, err := ParseRange(c.typ, c.start); (err == nil) != c.ok {
			t.Errorf("ParseRange(%q, %q): %v", c.typ, c.start, err)
		}
	}
}
