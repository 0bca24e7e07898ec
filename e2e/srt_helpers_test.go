package e2e_test

// Helpers of the SRT tests: the daemon they run, the external peers
// (ffmpeg, GStreamer) and the API's view of the paths. Names start with srt
// so that other listeners' tests in this package can have their own.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gosrt "github.com/datarhei/gosrt"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The users every SRT test daemon has.
const (
	srtPubUser, srtPubPass     = "srtpub", "srt-pub-secret-1"
	srtReadUser, srtReadPass   = "srtview", "srt-view-secret-2"
	srtAdminUser, srtAdminPass = "srtadmin", "srt-admin-secret-3"
)

// startSRTDaemon runs streamgate with SRT, RTSP (over TCP) and the API on
// ephemeral 127.0.0.1 ports, the users srtpub (publish), srtview (read) and
// srtadmin (api), and paths (entries indented by two spaces).
func startSRTDaemon(t *testing.T, paths string) *testharness.Daemon {
	t.Helper()
	cfg := fmt.Sprintf(`
srt: yes
rtsp: yes
rtspTransports: [tcp]
%spaths:
%s`, listenerUsers(srtPubUser, srtPubPass, srtReadUser, srtReadPass, srtAdminUser, srtAdminPass, "api"), paths)
	d := testharness.Start(t, cfg)
	wantListeners(t, d, "srt")
	return d
}

// srtURL is srt://ADDR?streamid=STREAMID&pkt_size=1316 on d's SRT listener,
// plus more query parameters (passphrase=…). The streamid is not escaped:
// Debian's ffmpeg 5.1 passes it on as written.
func srtURL(d *testharness.Daemon, streamID string, more ...string) string {
	q := "streamid=" + streamID + "&pkt_size=1316"
	for _, m := range more {
		q += "&" + m
	}
	return "srt://" + d.Addr("srt") + "?" + q
}

// srtTryDial opens an SRT connection to addr with streamID and closes it;
// nil when the server accepted the handshake.
func srtTryDial(addr, streamID string) error {
	cfg := gosrt.DefaultConfig()
	cfg.StreamId = streamID
	cfg.ConnectionTimeout = 5 * time.Second
	conn, err := gosrt.Dial("srt", addr, cfg)
	if err != nil {
		return err
	}
	conn.Close()
	return nil
}

// srtID is the MediaMTX form of a streamid: ACTION:PATH:USER:PASS.
func srtID(action, path, user, pass string) string {
	return strings.Join([]string{action, path, user, pass}, ":")
}

// srtRequireGStreamer makes sure gst-launch-1.0 and the elements of the
// GStreamer publisher are installed.
func srtRequireGStreamer(t testing.TB) {
	t.Helper()
	testharness.RequireGStreamer(t,
		testharness.GstElement{Name: "videotestsrc", Package: "gstreamer1.0-plugins-base"}, testharness.GstElement{Name: "audiotestsrc", Package: "gstreamer1.0-plugins-base"},
		testharness.GstElement{Name: "x264enc", Package: "gstreamer1.0-plugins-ugly"}, testharness.GstElement{Name: "h264parse", Package: "gstreamer1.0-plugins-bad"},
		testharness.GstElement{Name: "voaacenc", Package: "gstreamer1.0-plugins-bad"}, testharness.GstElement{Name: "aacparse", Package: "gstreamer1.0-plugins-good"},
		testharness.GstElement{Name: "mpegtsmux", Package: "gstreamer1.0-plugins-bad"}, testharness.GstElement{Name: "srtsink", Package: "gstreamer1.0-plugins-bad"},
	)
}

// srtFFmpegPublish starts ffmpeg publishing the lavfi test source (H.264,
// 320x240, 25 fps, a keyframe a second) and a sine tone (AAC) as MPEG-TS to
// dst (an srt:// or rtsp:// URL) for seconds, in real time.
func srtFFmpegPublish(t testing.TB, dst string, seconds float64) *srtProc {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	args := append(ffmpegTestSource("320x240", seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k")
	if strings.HasPrefix(dst, "rtsp://") {
		args = append(args, "-f", "rtsp", "-rtsp_transport", "tcp", dst)
	} else {
		args = append(args, "-f", "mpegts", dst)
	}
	return startPeer(t, "ffmpeg", args...)
}

// srtAPIPath is one item of /v3/paths/list.
type srtAPIPath struct {
	Name   string `json:"name"`
	Source *struct {
		Type string `json:"type"`
	} `json:"source"`
	Tracks        []string `json:"tracks"`
	BytesReceived uint64   `json:"bytesReceived"`
}

// srtPaths returns /v3/paths/list's items by name, asked as srtadmin.
func srtPaths(t testing.TB, d *testharness.Daemon) map[string]srtAPIPath {
	t.Helper()
	out := map[string]srtAPIPath{}
	for _, p := range apiItems[srtAPIPath](t, d, "/v3/paths/list", srtAdminUser, srtAdminPass) {
		out[p.Name] = p
	}
	return out
}

// srtWaitPath polls /v3/paths/list until path is there with bytes received
// (want true) or gone (want false), and returns it.
func srtWaitPath(t testing.TB, d *testharness.Daemon, path string, want bool, timeout time.Duration) srtAPIPath {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p, ok := srtPaths(t, d)[path]
		if ok == want && (!want || p.BytesReceived > 0) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("path %s listed: %v, want %v within %s", path, ok, want, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// srtRejections are the codes of the daemon's "srt connection rejected"
// log lines for path, in order.
func srtRejections(d *testharness.Daemon, path string) []float64 {
	var codes []float64
	for _, e := range d.LogEntriesWhere("srt connection rejected") {
		if e["path"] == path {
			code, _ := e["code"].(float64)
			codes = append(codes, code)
		}
	}
	return codes
}
