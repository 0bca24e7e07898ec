package e2e_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// ffmpeg publishes H.264 with B-frames (x264 -bf 2) over RTSP, RTMP and SRT:
// every VideoFrame has dts ≤ pts and strictly increasing dts, some frames
// are reordered (pts ≠ dts), and the access units, taken in the order they
// arrived, decode with ffmpeg without an error.
func TestSavantDTSWithBFrames(t *testing.T) {
	t.Parallel()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	ep := testharness.IPCEndpoint(t, "dts")
	d := testharness.Start(t, fmt.Sprintf(`
rtsp: yes
rtspTransports: [tcp]
rtmp: yes
srt: yes
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: %s, pass: %s, permissions: [{action: publish}]}
savant:
  url: pub+bind:%s
paths:
  warmup: {}
  bf-rtsp: {}
  bf-rtmp: {}
  bf-srt: {}
`, rtspPubUser, rtspPubPass, ep))
	r := rtspSavantSubscriber(t, d, ep)

	srtDst := "srt://" + d.Addr("srt") + "?pkt_size=1316&streamid=" + srtID("publish", "bf-srt", rtspPubUser, rtspPubPass)
	for _, c := range []struct{ path, format, url string }{
		{"bf-rtsp", "rtsp", rtspURL(d, rtspPubUser, rtspPubPass, "bf-rtsp")},
		{"bf-rtmp", "flv", rtmpURL(d, "bf-rtmp?"+rtmpCreds(rtspPubUser, rtspPubPass))},
		{"bf-srt", "mpegts", srtDst},
	} {
		t.Run(c.path, func(t *testing.T) {
			args := []string{"-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
				"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "3",
				"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p",
				"-f", c.format}
			if c.format == "rtsp" {
				args = append(args, "-rtsp_transport", "tcp")
			}
			pub := startPeer(t, "ffmpeg", append(args, c.url)...)
			if code := pub.wait(t, 30*time.Second); code != 0 {
				t.Fatalf("ffmpeg publishing over %s exited %d", c.format, code)
			}
			msgs := rtspWaitEndOfStream(t, r, c.path, 15*time.Second)
			checkDTSOrder(t, msgs[:len(msgs)-1])
		})
	}
}

// checkDTSOrder checks the VideoFrames' timestamps and decodes their
// content, in arrival order, with ffmpeg.
func checkDTSOrder(t *testing.T, frames []testharness.SavantMessage) {
	t.Helper()
	if len(frames) < 50 {
		t.Fatalf("%d VideoFrames for 3 s of 25 fps video, want about 75", len(frames))
	}
	var stream bytes.Buffer
	var lastDTS int64
	reordered := 0
	for i, m := range frames {
		vf, _ := m.Message["video_frame"].(map[string]any)
		if vf == nil {
			t.Fatalf("message %d is a %s, want a video_frame", i, m.Content)
		}
		if _, ok := vf["dts"]; !ok {
			t.Fatalf("frame %d has no dts", i)
		}
		pts, dts := rtspInt(vf["pts"]), rtspInt(vf["dts"])
		if dts > pts {
			t.Errorf("frame %d: dts %d after pts %d", i, dts, pts)
		}
		if i > 0 && dts <= lastDTS {
			t.Errorf("frame %d: dts %d not after %d", i, dts, lastDTS)
		}
		if i > 0 && (dts-lastDTS)%40_000_000 != 0 {
			t.Errorf("frame %d: dts %d off the 40 ms grid of the frame before (%d)", i, dts, lastDTS)
		}
		if pts != dts {
			reordered++
		}
		lastDTS = dts
		stream.Write(bytes.Join(m.Frames[2:], nil))
	}
	if reordered == 0 {
		t.Errorf("no frame with pts ≠ dts: the publisher sent no B-frames")
	}
	file := testharness.TempFile(t, "au.h264", stream.String())
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "h264", "-i", file,
		"-f", "framecrc", "-").CombinedOutput()
	decoded := 0
	var errs []string
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "0,"):
			decoded++
		case line != "" && !strings.HasPrefix(line, "#"):
			errs = append(errs, line)
		}
	}
	if err != nil || len(errs) > 0 || decoded < len(frames)-2 {
		t.Errorf("ffmpeg decoded %d of %d access units (%v): %s", decoded, len(frames), err, strings.Join(errs, "\n"))
	}
	t.Logf("%d VideoFrames, %d reordered, %d decoded", len(frames), reordered, decoded)
}
