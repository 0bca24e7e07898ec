package e2e_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// startHLSDaemon runs the RTSP test daemon (users pub, viewer, admin) with
// the HLS listener on, short segments, and more top-level keys.
func startHLSDaemon(t testing.TB, top string) *testharness.Daemon {
	t.Helper()
	d := startRTSPDaemon(t, rtspSetup{top: "hls: yes\nhlsSegmentDuration: 1s\nhlsPartDuration: 200ms\n" + top})
	wantListeners(t, d, "hls")
	return d
}

// hlsURL is http://ADDR/path on d's HLS listener.
func hlsURL(d *testharness.Daemon, path string) string { return "http://" + d.Addr("hls") + "/" + path }

// basicHeader is an Authorization: Basic value.
func basicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// hlsPublish publishes the test source to cam over RTSP for seconds and
// waits until bytes arrive.
func hlsPublish(t testing.TB, d *testharness.Daemon, seconds float64) *rtspProc {
	t.Helper()
	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), seconds, "tcp")
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	return pub
}

// ffmpeg reads HLS with an Authorization: Basic header and decodes frames;
// without credentials the answer is 401 with the realm; a user without read
// gets 403.
func TestHLSFFmpegReadsWithBasicAuth(t *testing.T) {
	t.Parallel()
	d := startHLSDaemon(t, "authRealm: cams\n")
	pub := hlsPublish(t, d, 30)
	defer pub.stop(t)

	n, code, out := ffmpegDecode(t, hlsURL(d, "cam/index.m3u8"), 50,
		"-headers", "Authorization: "+basicHeader(rtspReadUser, rtspReadPass)+"\r\n")
	if code != 0 || n < 50 {
		t.Errorf("ffmpeg reading HLS: exit %d, %d frames decoded, want 0 and 50:\n%s", code, n, out)
	}
	t.Logf("ffmpeg decoded %d frames over HLS", n)

	for _, c := range []struct {
		name string
		auth reqOpt
		want int
	}{
		{"no credentials", header("X-None", ""), http.StatusUnauthorized},
		{"wrong password", basicAuth(rtspReadUser, "nope"), http.StatusUnauthorized},
		{"publish-only user", basicAuth(rtspPubUser, rtspPubPass), http.StatusForbidden},
		{"api-only user", basicAuth(rtspAdminUser, rtspAdminPass), http.StatusForbidden},
		{"reader", basicAuth(rtspReadUser, rtspReadPass), http.StatusOK},
		{"reader as Bearer user:pass", bearer(rtspReadUser + ":" + rtspReadPass), http.StatusOK},
	} {
		for _, file := range []string{"cam/index.m3u8", "cam/"} {
			a := get(t, hlsURL(d, file), c.auth)
			if a.status != c.want {
				t.Errorf("%s: GET /%s → %d, want %d", c.name, file, a.status, c.want)
			}
			if c.want == http.StatusUnauthorized {
				if got := a.header.Get("WWW-Authenticate"); got != `Basic realm="cams"` {
					t.Errorf("%s: WWW-Authenticate %q, want Basic realm=\"cams\"", c.name, got)
				}
			}
		}
	}
	// A path nobody publishes: 404 after authentication, 401 before.
	if a := get(t, hlsURL(d, "other/index.m3u8"), basicAuth(rtspReadUser, rtspReadPass)); a.status != http.StatusNotFound {
		t.Errorf("unpublished path → %d, want 404", a.status)
	}
	if a := get(t, hlsURL(d, "cam")); a.status != http.StatusMovedPermanently || a.header.Get("Location") != "/cam/" {
		t.Errorf("GET /cam → %d Location %q, want 301 to /cam/", a.status, a.header.Get("Location"))
	}
	if a := get(t, hlsURL(d, "cam/hls.min.js")); a.status != http.StatusOK || !strings.Contains(a.body, "Hls") {
		t.Errorf("GET /cam/hls.min.js → %d with %d bytes, want 200 and hls.js", a.status, len(a.body))
	}
}
