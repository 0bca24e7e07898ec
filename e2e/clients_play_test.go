package e2e_test

// The client matrix of issue 14 for HLS and RTSP: GStreamer's HLS elements
// (hlsdemux through uridecodebin, hlsdemux2 through playbin3), ffmpeg and
// mpv read HLS; ffmpeg and GStreamer rtspclientsink publish over RTSP,
// ffmpeg, GStreamer rtspsrc and mpv read it. Every reader counts decoded
// frames, and a wrong password gives each client a refusal asserted on the
// client's own message.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// gstPlayElements are the GStreamer elements the players below use, by
// package (decodebin picks openh264dec for H.264: Debian's GStreamer has no
// other software H.264 decoder without gstreamer1.0-libav).
var gstPlayElements = []testharness.GstElement{
	{Name: "uridecodebin", Package: "gstreamer1.0-plugins-base"},
	{Name: "playbin3", Package: "gstreamer1.0-plugins-base"},
	{Name: "souphttpsrc", Package: "gstreamer1.0-plugins-good"},
	{Name: "hlsdemux", Package: "gstreamer1.0-plugins-bad"},
	{Name: "hlsdemux2", Package: "gstreamer1.0-plugins-good"},
	{Name: "rtspsrc", Package: "gstreamer1.0-plugins-good"},
	{Name: "qtdemux", Package: "gstreamer1.0-plugins-good"},
	{Name: "openh264dec", Package: "gstreamer1.0-plugins-bad"},
	{Name: "fpsdisplaysink", Package: "gstreamer1.0-plugins-bad"},
}

// gstRenderedRE is fpsdisplaysink's count of decoded frames that reached
// its sink (with -v it prints the count about twice a second).
var gstRenderedRE = regexp.MustCompile(`rendered: (\d+)`)

// gstFPSSink is the video sink the players below count frames with.
const gstFPSSink = "fpsdisplaysink video-sink=fakesink text-overlay=false"

// gstURIDecode is a gst-launch-1.0 pipeline decoding the video of uri
// (uridecodebin picks the source and demuxer: hlsdemux for an HLS
// playlist, rtspsrc for rtsp://, rtspt:// for RTSP over TCP).
func gstURIDecode(uri string) []string {
	return append([]string{"-v", "uridecodebin", "uri=" + uri, "expose-all-streams=false", "caps=video/x-raw", "!"},
		strings.Fields(gstFPSSink)...)
}

// gstPlaybin3 is a gst-launch-1.0 command line (through env) playing uri
// with playbin3, hlsdemux2 ranked above hlsdemux: how GStreamer 1.22 users
// get the new HLS element.
func gstPlaybin3(uri string) []string {
	return []string{"GST_PLUGIN_FEATURE_RANK=hlsdemux2:MAX", "gst-launch-1.0", "-v", "playbin3", "uri=" + uri,
		"video-sink=" + gstFPSSink, "audio-sink=fakesink"}
}

// cliFrames starts a client and waits until the last count re finds in its
// output (the first group) reaches want; it fails the test unless it did
// within 40 s, and returns the client's output.
func cliFrames(t *testing.T, re *regexp.Regexp, want int, name string, args ...string) string {
	t.Helper()
	p := startPeer(t, name, args...)
	defer p.kill()
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := p.tail(20000)
		n := 0
		if m := re.FindAllStringSubmatch(out, -1); len(m) > 0 {
			n, _ = strconv.Atoi(m[len(m)-1][1])
		}
		if n >= want {
			t.Logf("%s: %d frames decoded", name, n)
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d frames decoded within 40 s, want %d:\n%s", name, n, want, out)
		}
	}
}

// HLS players read with Basic credentials in the URL and decode frames; a
// wrong password is refused with the 401 each client prints.
func TestClientsHLSPlayers(t *testing.T) {
	t.Parallel()
	gst := testharness.RequireGStreamer(t, gstPlayElements...)
	d := startHLSDaemon(t, "")
	pub := hlsPublish(t, d, 900)
	t.Cleanup(func() { pub.stop(t) })
	url := func(pass string) string {
		return "http://" + rtspReadUser + ":" + pass + "@" + d.Addr("hls") + "/cam/index.m3u8"
	}
	good, bad := url(rtspReadPass), url("wrong")

	t.Run("read gstreamer hlsdemux", func(t *testing.T) {
		out := cliFrames(t, gstRenderedRE, 25, gst, gstURIDecode(good)...)
		if !strings.Contains(out, "GstHLSDemux:") {
			t.Errorf("uridecodebin did not use hlsdemux:\n%s", out)
		}
	})
	t.Run("read gstreamer hlsdemux2", func(t *testing.T) {
		out := cliFrames(t, gstRenderedRE, 25, "env", gstPlaybin3(good)...)
		if !strings.Contains(out, "GstHLSDemux2:") {
			t.Errorf("playbin3 did not use hlsdemux2:\n%s", out)
		}
	})
	t.Run("read ffmpeg", func(t *testing.T) {
		if n, code, out := ffmpegDecode(t, good, 25); code != 0 || n < 25 {
			t.Errorf("ffmpeg: exit %d, %d frames decoded, want 25:\n%s", code, n, out)
		}
	})
	t.Run("read mpv", func(t *testing.T) { cliMPV(t, good) })

	// souphttpsrc's error, then its debug detail "Unauthorized (401), URL: …".
	t.Run("refused gstreamer hlsdemux", func(t *testing.T) {
		cliRefused(t, "Unauthorized (401)", gst, gstURIDecode(bad)...)
	})
	t.Run("refused gstreamer hlsdemux2", func(t *testing.T) {
		cliRefused(t, "Unauthorized (401)", "env", gstPlaybin3(bad)...)
	})
	t.Run("refused ffmpeg", func(t *testing.T) {
		cliRefused(t, "HTTP error 401 Unauthorized", "ffmpeg", "-hide_banner", "-nostdin", "-i", bad, "-f", "null", "-")
	})
	t.Run("refused mpv", func(t *testing.T) {
		cliRefused(t, "HTTP error 401 Unauthorized", "mpv", "--no-config", "--vo=null", "--ao=null", bad)
	})
}

// RTSP clients publish and read with credentials in the URL; a wrong
// password is refused with the 401 each client prints.
func TestClientsRTSP(t *testing.T) {
	t.Parallel()
	gst := testharness.RequireGStreamer(t, append(gstPlayElements, rtspGstElements...)...)
	d := startClientsDaemon(t)
	rtsp := func(scheme, user, pass, path string) string {
		return scheme + "://" + user + ":" + pass + "@" + d.Addr("rtsp") + "/" + path
	}
	gstPublish := func(url string) []string {
		return []string{"videotestsrc", "is-live=true", "num-buffers=750", "!", "video/x-raw,width=320,height=240,framerate=25/1",
			"!", "x264enc", "tune=zerolatency", "key-int-max=25", "speed-preset=ultrafast", "!", "h264parse",
			"!", "rtspclientsink", "location=" + url, "protocols=tcp"}
	}

	for name, publish := range map[string]func(path string){
		"ffmpeg": func(path string) { rtspFFmpegPublish(t, rtsp("rtsp", cliPubUser, cliPubPass, path), 30, "tcp") },
		"gstreamer rtspclientsink": func(path string) {
			startPeer(t, gst, append([]string{"-q"}, gstPublish(rtsp("rtsp", cliPubUser, cliPubPass, path))...)...)
		},
	} {
		t.Run("publish "+name, func(t *testing.T) {
			path := "rtsppub/" + strings.ReplaceAll(name, " ", "-")
			publish(path)
			rtspWaitPath(t, d, path, 20*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
			n, code, out := ffmpegDecode(t, rtsp("rtsp", cliReadUser, cliReadPass, path), 25)
			if code != 0 || n < 25 {
				t.Errorf("reading what %s published: exit %d, %d frames, want 25:\n%s", name, code, n, out)
			}
		})
	}

	rtspFFmpegPublish(t, rtsp("rtsp", cliPubUser, cliPubPass, "cam"), 60, "tcp")
	rtspWaitPath(t, d, "cam", 20*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	good := rtsp("rtsp", cliReadUser, cliReadPass, "cam")
	t.Run("read ffmpeg", func(t *testing.T) {
		if n, code, out := ffmpegDecode(t, good, 25); code != 0 || n < 25 {
			t.Errorf("ffmpeg: exit %d, %d frames decoded, want 25:\n%s", code, n, out)
		}
	})
	t.Run("read gstreamer rtspsrc", func(t *testing.T) {
		// rtspt:// has rtspsrc use TCP at once (the daemon offers no UDP).
		out := cliFrames(t, gstRenderedRE, 25, gst, gstURIDecode(rtsp("rtspt", cliReadUser, cliReadPass, "cam"))...)
		if !strings.Contains(out, "GstRTSPSrc:") {
			t.Errorf("uridecodebin did not use rtspsrc:\n%s", out)
		}
	})
	t.Run("read mpv", func(t *testing.T) { cliMPV(t, good, "--rtsp-transport=tcp") })

	bad := rtsp("rtsp", cliReadUser, "wrong", "cam")
	t.Run("refused ffmpeg", func(t *testing.T) {
		cliRefused(t, "401 Unauthorized", "ffmpeg", "-hide_banner", "-nostdin", "-rtsp_transport", "tcp", "-i", bad, "-f", "null", "-")
	})
	t.Run("refused mpv", func(t *testing.T) {
		cliRefused(t, "401 Unauthorized", "mpv", "--no-config", "--vo=null", "--ao=null", "--rtsp-transport=tcp", bad)
	})
	t.Run("refused gstreamer rtspsrc", func(t *testing.T) {
		cliRefused(t, "Unauthorized", gst, "rtspsrc", "location="+bad, "protocols=tcp", "!", "fakesink")
	})
	t.Run("refused gstreamer rtspclientsink", func(t *testing.T) {
		cliRefused(t, "Unauthorized", gst, gstPublish(rtsp("rtsp", cliPubUser, "wrong", "rtsppub/refused"))...)
	})
}
