package e2e_test

// Helpers of the network fuzzer (netfuzz_test.go) and of its seed capture
// (netfuzz_seeds_test.go). Names start with netfuzz.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Flags of the network fuzzer; each also reads an environment variable so
// that `make fuzz-net NETFUZZ_BUDGET=…` works without go test flags.
var (
	netfuzzBudget = flag.Duration("netfuzz.budget", envDuration("NETFUZZ_BUDGET", 15*time.Second),
		"how long TestNetworkFuzz sends mutated traffic (env NETFUZZ_BUDGET)")
	netfuzzSeed = flag.Uint64("netfuzz.seed", envUint("NETFUZZ_SEED"),
		"random seed of TestNetworkFuzz; 0: from the clock (env NETFUZZ_SEED; the seed used is logged)")
	netfuzzBatch = flag.Int("netfuzz.batch", -1,
		"run only this batch of TestNetworkFuzz (with -netfuzz.seed: reproduces a failure)")
	netfuzzSkip = flag.String("netfuzz.skip", os.Getenv("NETFUZZ_SKIP"),
		"comma-separated switches off: srt-handshake leaves SRT handshake packets unmutated and skips the SRT regression inputs (env NETFUZZ_SKIP)")
	netfuzzUpdate = flag.Bool("netfuzz.update", false,
		"TestNetworkFuzzSeeds re-records the seeds in testdata/netfuzz from real ffmpeg, GStreamer and Chromium sessions")
)

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

func envUint(key string) uint64 {
	v, _ := strconv.ParseUint(os.Getenv(key), 10, 64)
	return v
}

// The users of the fuzzing daemon: the seeds carry fuzzer's credentials
// (publish, read on fuzz/…, api, gateway), so that mutated traffic gets
// past authentication; netpub and netview are the legitimate clients of
// live, which the fuzzer cannot touch; the RTSP tests' admin reads the API.
const (
	netfuzzUser, netfuzzPass         = "fuzzer", "fuzz-secret-7"
	netfuzzPubUser, netfuzzPubPass   = "netpub", "netpub-secret-8"
	netfuzzViewUser, netfuzzViewPass = "netview", "netview-secret-9"
)

// netfuzzHTTPListeners are the listeners that answer /health.
var netfuzzHTTPListeners = []string{"api", "hls", "webrtc", "gateway"}

// startNetfuzzDaemon runs streamgate with every protocol listener, the API,
// the gateway (writing to a Savant PUB) and the users above.
func startNetfuzzDaemon(t testing.TB) *testharness.Daemon {
	t.Helper()
	cfg := fmt.Sprintf(`
rtsp: yes
rtmp: yes
srt: yes
hls: yes
webrtc: yes
gateway: yes
rtspTransports: [tcp]
logLevel: debug
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
savant:
  url: pub+bind:%s
authInternalUsers:
- {user: %s, pass: %s, permissions: [{action: publish, path: "~fuzz/.*"}, {action: read, path: "~fuzz/.*"}, {action: api}, {action: gateway}]}
- {user: %s, pass: %s, permissions: [{action: publish, path: "~live.*"}]}
- {user: %s, pass: %s, permissions: [{action: read, path: "~live.*"}]}
- {user: %s, pass: %s, permissions: [{action: api}, {action: metrics}]}
paths:
  "~live.*": {}
  "~fuzz/.*": {}
`, testharness.IPCEndpoint(t, "netfuzz"), netfuzzUser, netfuzzPass, netfuzzPubUser, netfuzzPubPass,
		netfuzzViewUser, netfuzzViewPass, rtspAdminUser, rtspAdminPass)
	d := testharness.Start(t, cfg)
	for _, l := range []string{"rtsp", "rtmp", "srt", "hls", "webrtc", "gateway", "api"} {
		if d.Addr(l) == "" {
			t.Fatalf("listener %s did not start:\n%s", l, d.Logs())
		}
	}
	return d
}

// netfuzzFFmpegPublish starts ffmpeg publishing a small test picture
// (H.264 160x120 at 40 kbit/s, a keyframe every 10 frames: seconds of it
// fit in a seed) and a sine tone (AAC) for
// seconds, in real time, as format (rtsp over TCP, flv, mpegts) to url.
func netfuzzFFmpegPublish(t testing.TB, format, url string, seconds float64) *peerProc {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	args := append(ffmpegTestSource("160x120", seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "10", "-b:v", "40k", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "32k", "-f", format)
	if format == "rtsp" {
		args = append(args, "-rtsp_transport", "tcp")
	}
	return startPeer(t, "ffmpeg", append(args, url)...)
}

// netfuzzRead plays path as user with the Go RTSP client (DESCRIBE,
// SETUP, PLAY over TCP) and waits until an RTP packet arrives.
func netfuzzRead(d *testharness.Daemon, path, user, pass string, timeout time.Duration) error {
	r, err := rtspGoRead(rtspURL(d, user, pass, path))
	if err != nil {
		return err
	}
	defer r.Close()
	deadline := time.Now().Add(timeout)
	for r.packets.Load() == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("no RTP packet within %s", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// netfuzzHealth checks /health on every HTTP listener of d.
func netfuzzHealth(ctx context.Context, d *testharness.Daemon) error {
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	var errs []error
	for _, l := range netfuzzHTTPListeners {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.URL(l, "/health"), nil)
		resp, err := c.Do(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s /health: %w", l, err))
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			errs = append(errs, fmt.Errorf("%s /health: %s", l, resp.Status))
		}
	}
	return errors.Join(errs...)
}

// netfuzzOpenFDs counts the daemon's open file descriptors (Linux).
func netfuzzOpenFDs(d *testharness.Daemon) int {
	es, err := os.ReadDir("/proc/" + strconv.Itoa(d.PID()) + "/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

// netfuzzSkips parses -netfuzz.skip.
func netfuzzSkips() map[string]bool {
	out := map[string]bool{}
	for s := range strings.SplitSeq(*netfuzzSkip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out[s] = true
		}
	}
	return out
}
