package e2e_test

// The client matrix of issue 14: the SRT and RTMP clients Debian ships
// (ffmpeg, srt-live-transmit, GStreamer srtsrc/srtsink and
// rtmp2src/rtmp2sink, rtmpdump, mpv) publish and read with the URLs the README's
// client table shows, and a wrong password gives each a clear refusal,
// asserted on the client's own message.

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The users of the client matrix daemon.
const (
	cliPubUser, cliPubPass   = "cpub", "cpub-secret-1"
	cliReadUser, cliReadPass = "cview", "cview-secret-2"
)

// startClientsDaemon runs streamgate with SRT, RTMP, RTSP (TCP) and the API
// on ephemeral ports and every path open to the users cpub (publish) and
// cview (read); the RTSP tests' admin may use the API (rtspWaitPath).
func startClientsDaemon(t *testing.T) *testharness.Daemon {
	t.Helper()
	d := testharness.Start(t, fmt.Sprintf(`
srt: yes
rtmp: yes
rtsp: yes
rtspTransports: [tcp]
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: %s, pass: %s, permissions: [{action: publish}]}
- {user: %s, pass: %s, permissions: [{action: read}]}
- {user: %s, pass: %s, permissions: [{action: api}]}
paths:
  all_others:
`, cliPubUser, cliPubPass, cliReadUser, cliReadPass, rtspAdminUser, rtspAdminPass))
	wantListeners(t, d, "srt", "rtmp", "rtsp")
	return d
}

// shq quotes s for sh.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// cliDecode runs the shell command client, which writes a stream of
// container format (mpegts, flv) to its standard output, into ffmpeg, which
// decodes up to frames video frames; it returns how many were decoded and
// the output of both. The pipeline runs in its own process group, killed
// when it ends or after 25 s.
func cliDecode(t *testing.T, client, format string, frames int) (int, string) {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	// Probing a pipe takes ffmpeg's default 5 s of analysis; 1 s finds
	// the streams of these test sources.
	script := client + " | ffmpeg -hide_banner -nostdin -f " + format + " -analyzeduration 1000000 -i - -frames:v " + strconv.Itoa(frames) + " -f null -"
	out := cliRun(t, script, 25*time.Second)
	n := 0
	if m := ffmpegFrameRE.FindAllStringSubmatch(out, -1); len(m) > 0 {
		n, _ = strconv.Atoi(m[len(m)-1][1])
	}
	return n, out
}

// cliRun runs script with sh in its own process group until it ends or
// timeout passes, kills what is left of the group, and returns the output.
func cliRun(t *testing.T, script string, timeout time.Duration) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	b, _ := os.ReadFile(f.Name())
	return strings.ReplaceAll(string(b), "\r", "\n")
}

// cliBackground runs script with sh in its own process group, killed when
// the test ends.
func cliBackground(t *testing.T, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
}

// cliRefused starts a client with wrong credentials and waits for its own
// output to show want (and never "Unknown or erroneous", what libsrt prints
// for a rejection code it cannot decode); it logs how long the refusal took.
func cliRefused(t *testing.T, want string, name string, args ...string) {
	t.Helper()
	start := time.Now()
	p := startPeer(t, name, args...)
	defer p.kill()
	for deadline := start.Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out := p.tail(20000)
		if strings.Contains(out, "Unknown or erroneous") {
			t.Fatalf("%s: the refusal reads \"Unknown or erroneous\":\n%s", name, out)
		}
		if strings.Contains(out, want) {
			t.Logf("%s: refused after %s: %q", name, time.Since(start).Round(time.Millisecond), want)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q within 10 s:\n%s", name, want, out)
		}
	}
}

// cliMPV plays url with mpv (no video or audio output, more options
// opts) until it has decoded 25 video frames; it fails the test unless mpv
// reached them.
func cliMPV(t *testing.T, url string, opts ...string) {
	t.Helper()
	testharness.RequirePeer(t, "mpv", "mpv")
	extra := ""
	for _, o := range opts {
		extra += shq(o) + " "
	}
	out := cliRun(t, "mpv --no-config --vo=null --ao=null --frames=25 "+extra+shq(url), 25*time.Second)
	// --frames=25 ends playback after 25 frames with "End of file".
	if !strings.Contains(out, "VO: [null]") || !strings.Contains(out, "Exiting... (End of file)") {
		t.Errorf("mpv did not play 25 frames of %s:\n%s", url, out)
	}
}

// srtRefusal is what libsrt 1.5 (Debian) reports for an SRT_REJX_* code
// (srt_rejectreason_str for every code from 1000): the handshake carried
// 1000 + SRT_REJX_UNAUTHORIZED, which libsrt decoded.
const srtRefusal = "Application-defined rejection reason"

// SRT clients publish and read; a wrong password is refused with a code
// libsrt decodes.
func TestClientsSRT(t *testing.T) {
	t.Parallel()
	srtRequireGStreamer(t)
	testharness.RequirePeer(t, "srt-live-transmit", "srt-tools")
	d := startClientsDaemon(t)
	srtAddr := d.Addr("srt")
	srt := func(mode, path, user, pass string) string {
		return "srt://" + srtAddr + "?streamid=" + srtID(mode, path, user, pass) + "&pkt_size=1316"
	}
	// Publishers: ffmpeg, srt-live-transmit (fed by ffmpeg), GStreamer srtsink.
	pubs := map[string]func(path string){
		"ffmpeg": func(path string) {
			srtFFmpegPublish(t, srt("publish", path, cliPubUser, cliPubPass), 30)
		},
		"srt-live-transmit": func(path string) {
			cliBackground(t, "ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi -i testsrc=size=320x240:rate=25 "+
				"-t 30 -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -f mpegts - | srt-live-transmit -q file://con "+
				shq(srt("publish", path, cliPubUser, cliPubPass)))
		},
		"gstreamer srtsink": func(path string) {
			startPeer(t, "gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "num-buffers=750", "!",
				"video/x-raw,format=I420,width=320,height=240,framerate=25/1", "!",
				"x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=25", "!", "h264parse", "!",
				"mpegtsmux", "alignment=7", "!", "srtsink", "uri="+srt("publish", path, cliPubUser, cliPubPass))
		},
	}
	for name, publish := range pubs {
		t.Run("publish "+name, func(t *testing.T) {
			path := "srtpub/" + strings.ReplaceAll(name, " ", "-")
			publish(path)
			rtspWaitPath(t, d, path, 20*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
			n, code, out := ffmpegDecode(t, "rtsp://"+cliReadUser+":"+cliReadPass+"@"+d.Addr("rtsp")+"/"+path, 25)
			if code != 0 || n < 25 {
				t.Errorf("reading what %s published: exit %d, %d frames, want 25:\n%s", name, code, n, out)
			}
		})
	}

	srtFFmpegPublish(t, srt("publish", "cam", cliPubUser, cliPubPass), 60)
	rtspWaitPath(t, d, "cam", 20*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	readURL := srt("read", "cam", cliReadUser, cliReadPass)
	for name, client := range map[string]string{
		"srt-live-transmit": "srt-live-transmit -q " + shq(readURL) + " file://con",
		"gstreamer srtsrc":  "gst-launch-1.0 -q srtsrc uri=" + shq(readURL) + " ! fdsink fd=1",
		"ffmpeg":            "ffmpeg -hide_banner -nostdin -loglevel error -i " + shq(readURL) + " -c copy -f mpegts -",
	} {
		t.Run("read "+name, func(t *testing.T) {
			if n, out := cliDecode(t, client, "mpegts", 25); n < 25 {
				t.Errorf("%s: %d frames decoded, want 25:\n%s", name, n, out)
			}
		})
	}

	t.Run("read mpv", func(t *testing.T) { cliMPV(t, readURL) })

	badRead := srt("read", "cam", cliReadUser, "wrong")
	badPub := srt("publish", "cam2", cliPubUser, "wrong")
	t.Run("refused ffmpeg", func(t *testing.T) {
		cliRefused(t, srtRefusal, "ffmpeg", "-hide_banner", "-nostdin", "-i", badRead, "-f", "null", "-")
	})
	t.Run("refused mpv", func(t *testing.T) {
		cliRefused(t, srtRefusal, "mpv", "--no-config", "--vo=null", "--ao=null", badRead)
	})
	t.Run("refused srt-live-transmit", func(t *testing.T) {
		cliRefused(t, srtRefusal, "srt-live-transmit", badRead, "file://con")
	})
	t.Run("refused gstreamer srtsrc", func(t *testing.T) {
		cliRefused(t, srtRefusal, "gst-launch-1.0", "srtsrc", "uri="+badRead, "!", "fakesink")
	})
	t.Run("refused gstreamer srtsink", func(t *testing.T) {
		// GStreamer 1.22's srtsink does not report the rejection reason
		// (nor does libsrt log it for this caller): its own message is all
		// there is.
		cliRefused(t, "Connection does not exist", "gst-launch-1.0", "videotestsrc", "is-live=true", "!", "x264enc", "!", "mpegtsmux", "!",
			"srtsink", "uri="+badPub)
		if got := srtRejections(d, "cam2"); len(got) == 0 || got[0] != 1401 {
			t.Errorf("srtsink: rejection codes %v, want 1401 (SRT_REJX_UNAUTHORIZED)", got)
		}
	})
	if got := srtRejections(d, "cam"); len(got) == 0 || got[0] != 1401 {
		t.Errorf("rejection codes %v, want 1401 (SRT_REJX_UNAUTHORIZED)", got)
	}
}

// RTMP clients publish and read with the URLs of the README's client
// table; a wrong password is refused with a status each client prints.
func TestClientsRTMP(t *testing.T) {
	t.Parallel()
	testharness.RequireGStreamer(t, rtmpGstElements...)
	testharness.RequirePeer(t, "rtmpdump", "rtmpdump")
	d := startClientsDaemon(t)
	host := "rtmp://" + d.Addr("rtmp")
	pubQ := rtmpCreds(cliPubUser, cliPubPass)
	readQ := rtmpCreds(cliReadUser, cliReadPass)

	// Publishers, each with the URL form it needs, and the path it lands on.
	for _, c := range []struct {
		name, path string
		start      func()
	}{
		{"ffmpeg path?query", "cam", func() { rtmpFFmpegPublish(t, host+"/cam?"+pubQ, 60) }},
		{"ffmpeg app/stream?query", "live/ff", func() { rtmpFFmpegPublish(t, host+"/live/ff?"+pubQ, 30) }},
		{"ffmpeg app?query/stream", "live/ff2", func() { rtmpFFmpegPublish(t, host+"/live?"+pubQ+"/ff2", 30) }},
		{"gstreamer rtmp2sink app/stream?query", "live/gst", func() { rtmpGstPublish(t, host+"/live/gst?"+pubQ, 750) }},
		{"gstreamer rtmp2sink path/?query", "gst", func() { rtmpGstPublish(t, host+"/gst/?"+pubQ, 750) }},
	} {
		t.Run("publish "+c.name, func(t *testing.T) {
			c.start()
			rtspWaitPath(t, d, c.path, 20*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
			n, code, out := ffmpegDecode(t, "rtsp://"+cliReadUser+":"+cliReadPass+"@"+d.Addr("rtsp")+"/"+c.path, 25)
			if code != 0 || n < 25 {
				t.Errorf("reading %s: exit %d, %d frames, want 25:\n%s", c.path, code, n, out)
			}
		})
	}

	// Readers of cam (published above for 60 s) and live/gst.
	for _, c := range []struct{ name, client string }{
		{"ffmpeg path?query", "ffmpeg -hide_banner -nostdin -loglevel error -i " + shq(host+"/cam?"+readQ) + " -c copy -f flv -"},
		{"gstreamer rtmp2src path/?query", "gst-launch-1.0 -q rtmp2src location=" + shq(host+"/cam/?"+readQ) + " ! fdsink fd=1"},
		{"gstreamer rtmp2src app/stream?query", "gst-launch-1.0 -q rtmp2src location=" + shq(host+"/live/gst?"+readQ) + " ! fdsink fd=1"},
		{"rtmpdump -r path -y ?query", "rtmpdump -q -r " + shq(host+"/cam") + " -y " + shq("?"+readQ) + " -o -"},
		{"rtmpdump -r app -y stream?query", "rtmpdump -q -r " + shq(host+"/live") + " -y " + shq("gst?"+readQ) + " -o -"},
		{"rtmpdump -r app/stream?query", "rtmpdump -q -r " + shq(host+"/live/gst?"+readQ) + " -o -"},
	} {
		t.Run("read "+c.name, func(t *testing.T) {
			if n, out := cliDecode(t, c.client, "flv", 25); n < 25 {
				t.Errorf("%s: %d frames decoded, want 25:\n%s", c.name, n, out)
			}
		})
	}

	t.Run("read mpv path?query", func(t *testing.T) { cliMPV(t, host+"/cam?"+readQ) })

	bad := rtmpCreds(cliReadUser, "wrong")
	t.Run("refused ffmpeg", func(t *testing.T) {
		cliRefused(t, "Server error: authentication failed", "ffmpeg", "-hide_banner", "-nostdin", "-i", host+"/cam?"+bad, "-f", "null", "-")
	})
	t.Run("refused mpv", func(t *testing.T) {
		cliRefused(t, "Server error: authentication failed", "mpv", "--no-config", "--vo=null", "--ao=null", host+"/cam?"+bad)
	})
	t.Run("refused gstreamer rtmp2src", func(t *testing.T) {
		cliRefused(t, "NetConnection.Connect.Rejected", "gst-launch-1.0", "rtmp2src", "location="+host+"/cam/?"+bad, "!", "fakesink")
	})
	t.Run("refused gstreamer rtmp2sink", func(t *testing.T) {
		cliRefused(t, "NetConnection.Connect.Rejected", "gst-launch-1.0", "videotestsrc", "is-live=true", "!", "x264enc", "!",
			"flvmux", "!", "rtmp2sink", "location="+host+"/live/x?"+rtmpCreds(cliPubUser, "wrong"))
	})
	t.Run("refused rtmpdump", func(t *testing.T) {
		// librtmp logs the status code at debug level (-V); at error level it
		// says "Closing connection: NetStream.Failed".
		cliRefused(t, "NetConnection.Connect.Rejected", "rtmpdump", "-V", "-r", host+"/cam", "-y", "?"+bad, "-o", "/dev/null")
	})
}

// Not an assertion, a figure (issue 14, item 4): how long after ffmpeg
// starts publishing over RTMP, and over RTSP for comparison, an RTSP reader
// decodes its first frame. gortmplib probes a publisher's tracks for 2 s of
// media; since the probe ends once the tracks onMetaData announces are
// configured (protocols/rtmp/probe.go) the two are close.
func TestClientsRTMPReadiness(t *testing.T) {
	d := startClientsDaemon(t)
	reader := func(path string) string {
		return "rtsp://" + cliReadUser + ":" + cliReadPass + "@" + d.Addr("rtsp") + "/" + path
	}
	for _, c := range []struct{ proto, path string }{{"rtmp", "ready/rtmp"}, {"rtsp", "ready/rtsp"}} {
		start := time.Now()
		if c.proto == "rtmp" {
			rtmpFFmpegPublish(t, "rtmp://"+d.Addr("rtmp")+"/"+c.path+"?"+rtmpCreds(cliPubUser, cliPubPass), 20)
		} else {
			rtspFFmpegPublish(t, "rtsp://"+cliPubUser+":"+cliPubPass+"@"+d.Addr("rtsp")+"/"+c.path, 20, "tcp")
		}
		p := rtspWaitPath(t, d, c.path, 20*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
		listed := time.Since(start)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if n, _, _ := ffmpegDecode(t, reader(c.path), 1); n >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no frame read within 20 s", c.path)
			}
		}
		t.Logf("%s publisher: published (listed with bytes) after %s, first frame read after %s (tracks %v)",
			c.proto, listed.Round(10*time.Millisecond), time.Since(start).Round(10*time.Millisecond), p.Tracks)
	}
}
