package e2e_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// browserDaemon runs the RTSP test daemon with the HLS and WebRTC
// listeners and publishes cam over RTSP (H.264 Constrained Baseline and
// AAC) until the test ends. Playwright is installed first, and the stream
// has no fixed length: under load, npm's install and Chromium's start took
// long enough that a 60 s stream could end while the browser was still
// waiting to play it.
func browserDaemon(t testing.TB) *testharness.Daemon {
	t.Helper()
	testharness.RequireChromium(t)
	testharness.PlaywrightModule(t)
	d := startHLSDaemon(t, "webrtc: yes\n")
	wantListeners(t, d, "webrtc")
	pub := hlsPublish(t, d, 900) // stopped when the test ends
	t.Cleanup(func() { pub.stop(t) })
	return d
}

// browserPlays opens the player page of cam on listener in headless
// Chromium with the reader's credentials, wants currentTime past 2 s, then
// opens it with a wrong password and wants 401 and no playback; both
// screenshots are saved as test artifacts.
func browserPlays(t *testing.T, d *testharness.Daemon, listener string) {
	t.Helper()
	page := "http://" + d.Addr(listener) + "/cam/"
	r := testharness.Play(t, testharness.PlayOptions{URL: page, User: rtspReadUser, Pass: rtspReadPass, Want: 2,
		Timeout: 40 * time.Second, Screenshot: listener + "-playing.png"})
	if !r.Played {
		live := "no longer published"
		for _, p := range rtspPaths(t, d) {
			if p.Name == "cam" {
				live = fmt.Sprintf("still published (%d bytes received)", p.BytesReceived)
			}
		}
		t.Fatalf("Chromium did not play over %s: %s (currentTime %.2f, status %d; cam %s)\nconsole: %v",
			listener, r.Error, r.CurrentTime, r.Status, live, r.Console)
	}
	t.Logf("Chromium played over %s to currentTime %.2f s; first frame %v after the page load; screenshot %s",
		listener, r.CurrentTime, r.FirstFrame.Round(time.Millisecond), r.Screenshot)

	bad := testharness.Play(t, testharness.PlayOptions{URL: page, User: rtspReadUser, Pass: "wrong", Want: 1,
		Timeout: 8 * time.Second, Screenshot: listener + "-wrong-credentials.png"})
	if bad.Played || bad.Status != http.StatusUnauthorized {
		t.Errorf("Chromium with wrong credentials over %s: played %v, status %d; want not played, 401", listener, bad.Played, bad.Status)
	}
}

// Headless Debian Chromium opens the HLS player page (hls.js embedded in
// the binary) with Basic credentials and plays past 2 s; with wrong
// credentials it gets 401 and does not play. Screenshots are saved as test
// artifacts (go test -artifacts -outputdir DIR; make test keeps them in
// test-output/).
func TestBrowserHLS(t *testing.T) {
	t.Parallel()
	d := browserDaemon(t)
	waitStatus(t, "HLS playlist", 15*time.Second, http.StatusOK,
		func() answer { return get(t, hlsURL(d, "cam/index.m3u8"), basicAuth(rtspReadUser, rtspReadPass)) })
	browserPlays(t, d, "hls")
}

// The same through WebRTC (WHEP): Chromium plays the WebRTC player page,
// its video's currentTime advances; wrong credentials do not play.
func TestBrowserWebRTC(t *testing.T) {
	t.Parallel()
	browserPlays(t, browserDaemon(t), "webrtc")
}
