package e2e_test

// Helpers of the RTMP tests. Names start with rtmp; the peer runner
// (rtspStart), the API path helpers (rtspWaitPath, …) and the RTSP ffmpeg
// helpers come from rtsp_helpers_test.go.

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The users every RTMP test daemon has.
const (
	rtmpPubUser, rtmpPubPass   = "rpub", "rpub-secret-1"
	rtmpReadUser, rtmpReadPass = "rviewer", "rview-secret-2"
)

// startRTMPDaemon runs streamgate with RTMP, RTSP (TCP), the API and
// metrics on ephemeral 127.0.0.1 ports, the users rpub (publish), rviewer
// (read) and the RTSP tests' admin (api, metrics: rtspPaths asks as admin),
// and the paths cam, live/gst and fromrtsp; top adds top-level keys.
func startRTMPDaemon(t *testing.T, top string) *testharness.Daemon {
	t.Helper()
	cfg := fmt.Sprintf(`%s
rtmp: yes
rtsp: yes
rtspTransports: [tcp]
metrics: yes
%spaths:
  cam: {}
  live/gst: {}
  fromrtsp: {}
`, top, listenerUsers(rtmpPubUser, rtmpPubPass, rtmpReadUser, rtmpReadPass, rtspAdminUser, rtspAdminPass, "api", "metrics"))
	d := testharness.Start(t, cfg, testharness.WithMetricsAuth(rtspAdminUser, rtspAdminPass))
	if d.Addr("rtmp") == "" && d.Addr("rtmps") == "" || d.Addr("rtsp") == "" {
		t.Fatalf("the RTMP or RTSP listener did not start:\n%s", d.Logs())
	}
	return d
}

// rtmpURL is rtmp://ADDR/pathAndQuery on d's RTMP listener; the caller
// places the query where the client under test would.
func rtmpURL(d *testharness.Daemon, pathAndQuery string) string {
	return "rtmp://" + d.Addr("rtmp") + "/" + pathAndQuery
}

// rtmpCreds is the user=…&pass=… query.
func rtmpCreds(user, pass string) string { return "user=" + user + "&pass=" + pass }

// rtmpTryPublish connects to addr to publish rawPath (with its query) with
// gortmplib and disconnects; nil when the server accepted.
func rtmpTryPublish(addr, rawPath string) error {
	u, err := url.Parse("rtmp://" + addr + rawPath)
	if err != nil {
		return err
	}
	c := &gortmplib.Client{URL: u, Publish: true}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Initialize(ctx); err != nil {
		return err
	}
	c.Close()
	return nil
}

// rtmpFFmpegPublish starts ffmpeg publishing the lavfi test source (H.264,
// 320x240, 25 fps, a keyframe every 25 frames) and a sine tone (AAC) as FLV
// to url for seconds, in real time.
func rtmpFFmpegPublish(t testing.TB, url string, seconds float64) *rtspProc {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	return startPeer(t, "ffmpeg", append(ffmpegTestSource("320x240", seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k",
		"-f", "flv", url)...)
}

// rtmpGstElements are the GStreamer elements the RTMP tests use, by package.
var rtmpGstElements = []testharness.GstElement{
	{Name: "videotestsrc", Package: "gstreamer1.0-plugins-base"},
	{Name: "x264enc", Package: "gstreamer1.0-plugins-ugly"},
	{Name: "h264parse", Package: "gstreamer1.0-plugins-bad"},
	{Name: "flvmux", Package: "gstreamer1.0-plugins-good"},
	{Name: "rtmp2sink", Package: "gstreamer1.0-plugins-bad"},
}

// rtmpGstPublish starts GStreamer publishing H.264 (320x240, 25 fps, a
// keyframe a second) for frames frames to location with rtmp2sink.
// rtmp2sink takes the last path segment of location as the stream key and
// sends the query with it: rtmp://host/live/gst?user=…&pass=… publishes
// live/gst with those credentials.
func rtmpGstPublish(t testing.TB, location string, frames int) *rtspProc {
	t.Helper()
	testharness.RequireGStreamer(t, rtmpGstElements...)
	return startPeer(t, "gst-launch-1.0", "-q",
		"videotestsrc", "is-live=true", "num-buffers="+strconv.Itoa(frames), "!",
		"video/x-raw,format=I420,width=320,height=240,framerate=25/1", "!",
		"x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=25", "!",
		"h264parse", "!", "flvmux", "streamable=true", "!",
		"rtmp2sink", "location="+location)
}
