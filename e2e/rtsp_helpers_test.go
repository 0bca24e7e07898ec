package e2e_test

// Helpers of the RTSP tests: the daemon they run, the external peers
// (ffmpeg, GStreamer) and the API's view of the paths. Names start with
// rtsp so that other listeners' tests in this package can have their own.

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The users every RTSP test daemon has.
const (
	rtspPubUser, rtspPubPass     = "pub", "pub-secret-1"
	rtspReadUser, rtspReadPass   = "viewer", "view-secret-2"
	rtspAdminUser, rtspAdminPass = "admin", "admin-secret-3"
)

// listenerUsers is the authInternalUsers block of the listener tests'
// daemons — a publisher, a reader and an admin allowed adminActions (api,
// metrics…) — after an authQuarantine that counts no failures, so that the
// tests' wrong passwords lock nobody out.
func listenerUsers(pub, pubPass, read, readPass, admin, adminPass string, adminActions ...string) string {
	actions := make([]string, len(adminActions))
	for i, a := range adminActions {
		actions[i] = "{action: " + a + "}"
	}
	return fmt.Sprintf(`authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: %s, pass: %s, permissions: [{action: publish}]}
- {user: %s, pass: %s, permissions: [{action: read}]}
- {user: %s, pass: %s, permissions: [%s]}
`, pub, pubPass, read, readPass, admin, adminPass, strings.Join(actions, ", "))
}

// rtspSetup says what an RTSP test daemon runs besides the common part.
type rtspSetup struct {
	// users are more authInternalUsers entries, one "- {…}" a line.
	users string
	// paths are the path entries, each indented by two spaces (default: cam).
	paths string
	// top are more top-level keys (rtspTransports defaults to [tcp]).
	top string
}

// startRTSPDaemon runs streamgate with RTSP, the API and metrics on
// ephemeral 127.0.0.1 ports and the users pub (publish), viewer (read) and
// admin (api, metrics).
func startRTSPDaemon(t testing.TB, s rtspSetup) *testharness.Daemon {
	t.Helper()
	d, err := tryStartRTSPDaemon(t, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// tryStartRTSPDaemon is startRTSPDaemon returning the error of a daemon
// that did not become ready (testharness.TryStart).
func tryStartRTSPDaemon(t testing.TB, s rtspSetup) (*testharness.Daemon, error) {
	t.Helper()
	if s.paths == "" {
		s.paths = "  cam: {}\n"
	}
	if !strings.Contains(s.top, "rtspTransports:") {
		s.top += "\nrtspTransports: [tcp]\n"
	}
	cfg := fmt.Sprintf(`
rtsp: yes
metrics: yes
%s
%s%s
paths:
%s`, s.top, listenerUsers(rtspPubUser, rtspPubPass, rtspReadUser, rtspReadPass, rtspAdminUser, rtspAdminPass, "api", "metrics"),
		s.users, s.paths)
	d, err := testharness.TryStart(t, cfg, testharness.WithMetricsAuth(rtspAdminUser, rtspAdminPass))
	if err != nil {
		return nil, err
	}
	wantListeners(t, d, "rtsp")
	return d, nil
}

// onUDPPair calls start with an RTP/RTCP port pair P, P+1 that was free a
// moment ago, and again with another pair when the daemon could not bind it
// (a parallel test took it in between). It returns P.
func onUDPPair(t testing.TB, start func(port int) error) int {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := rtspFreeUDPPair(t)
		err := start(port)
		if err == nil {
			return port
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("UDP ports %d/%d were taken before the daemon bound them: another pair", port, port+1)
	}
}

// rtspURL is rtsp://user:pass@ADDR/path on d's RTSP listener.
func rtspURL(d *testharness.Daemon, user, pass, path string) string {
	u := url.URL{Scheme: "rtsp", Host: d.Addr("rtsp"), Path: "/" + path}
	if user != "" || pass != "" {
		u.User = url.UserPassword(user, pass)
	}
	return u.String()
}

// rtspRequireFFmpeg makes sure ffmpeg (with libx264 and the native AAC
// encoder, as Debian builds it) is there.
func rtspRequireFFmpeg(t testing.TB) {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
}

// rtspGstElements are the GStreamer elements the tests use, by package.
var rtspGstElements = []testharness.GstElement{
	{Name: "videotestsrc", Package: "gstreamer1.0-plugins-base"},
	{Name: "x264enc", Package: "gstreamer1.0-plugins-ugly"},
	{Name: "h264parse", Package: "gstreamer1.0-plugins-bad"},
	{Name: "rtspclientsink", Package: "gstreamer1.0-rtsp"},
}

// rtspFFmpegPublish starts ffmpeg publishing the lavfi test source (H.264,
// 320x240, 25 fps, a keyframe every 25 frames) and a sine tone (AAC) to
// rtspURL for seconds, in real time, over transport (tcp or udp).
func rtspFFmpegPublish(t testing.TB, rtspURL string, seconds float64, transport string) *rtspProc {
	t.Helper()
	rtspRequireFFmpeg(t)
	return startPeer(t, "ffmpeg", append(ffmpegTestSource("320x240", seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k",
		"-f", "rtsp", "-rtsp_transport", transport, rtspURL)...)
}

// ffmpegTestSource is the start of an ffmpeg command line reading lavfi's
// test picture (size WxH, 25 fps) and a 440 Hz sine tone for seconds, in
// real time.
func ffmpegTestSource(size string, seconds float64) []string {
	return []string{"-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
		"-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
		"-t", strconv.FormatFloat(seconds, 'f', -1, 64)}
}

// rtspAPIPath is one item of /v3/paths/list.
type rtspAPIPath struct {
	Name   string `json:"name"`
	Ready  bool   `json:"ready"`
	Source *struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"source"`
	Tracks        []string `json:"tracks"`
	BytesReceived uint64   `json:"bytesReceived"`
	Readers       int      `json:"readerCount"`
}

// rtspPaths returns /v3/paths/list's items, asked as admin.
func rtspPaths(t testing.TB, d *testharness.Daemon) []rtspAPIPath {
	t.Helper()
	return apiItems[rtspAPIPath](t, d, "/v3/paths/list", rtspAdminUser, rtspAdminPass)
}

// rtspPathNames are the names /v3/paths/list shows.
func rtspPathNames(t testing.TB, d *testharness.Daemon) []string {
	t.Helper()
	var names []string
	for _, p := range rtspPaths(t, d) {
		names = append(names, p.Name)
	}
	return names
}

// rtspWaitPath polls /v3/paths/list until path is there and ok accepts it
// (nil: any), and returns it; it fails the test after timeout.
func rtspWaitPath(t testing.TB, d *testharness.Daemon, path string, timeout time.Duration, ok func(rtspAPIPath) bool) rtspAPIPath {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []rtspAPIPath
	for {
		last = rtspPaths(t, d)
		for _, p := range last {
			if p.Name == path && (ok == nil || ok(p)) {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("path %s not listed as wanted within %s; /v3/paths/list: %+v", path, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rtspWaitGone polls /v3/paths/list until path is no longer there.
func rtspWaitGone(t testing.TB, d *testharness.Daemon, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		found := false
		for _, p := range rtspPaths(t, d) {
			found = found || p.Name == path
		}
		if !found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("path %s still listed %s after its publisher left", path, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
