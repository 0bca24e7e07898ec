package e2e_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// aiortc, an independent WebRTC stack (Debian python3-aiortc), reads a
// stream with H.264 and AAC audio over WHEP: it offers video and audio, the
// answer rejects the audio (WebRTC has no AAC), and aiortc must still take
// the answer and decode video (issue 14: the rejected section lacked its
// a=mid and ICE credentials, which aiortc refuses). Wrong credentials get
// 401 before any SDP work.
func TestClientsAiortcWHEP(t *testing.T) {
	t.Parallel()
	py := testharness.RequirePython(t, []string{"aiortc"}, "python3-aiortc")
	d := startHLSDaemon(t, "webrtc: yes\n")
	wantListeners(t, d, "webrtc")
	pub := hlsPublish(t, d, 900) // H.264 + AAC, stopped when the test ends
	t.Cleanup(func() { pub.stop(t) })

	script := filepath.Join("testdata", "whep_aiortc.py")
	whep := "http://" + d.Addr("webrtc") + "/cam/whep"
	run := func(user, pass string) string {
		out, err := runFor(time.Minute, py, script, whep, user, pass, "10", "30")
		if err != nil {
			t.Fatalf("aiortc: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return lines[len(lines)-1]
	}
	if got := run(rtspReadUser, rtspReadPass); got != "frames 10" {
		t.Errorf("aiortc with the reader's credentials: %q, want 10 decoded frames", got)
	}
	if got := run(rtspReadUser, "wrong"); got != "status 401" {
		t.Errorf("aiortc with a wrong password: %q, want status 401", got)
	}
}

// aiortc publishes over WHIP (its own H.264 encoder, Debian
// python3-aiortc): ffmpeg decodes what it sent over RTSP. Wrong credentials
// get 401 before any SDP work.
func TestClientsAiortcWHIP(t *testing.T) {
	t.Parallel()
	py := testharness.RequirePython(t, []string{"aiortc", "numpy"}, "python3-aiortc")
	rtspRequireFFmpeg(t)
	d := startRTSPDaemon(t, rtspSetup{top: "webrtc: yes\n"})
	wantListeners(t, d, "webrtc")
	script := filepath.Join("testdata", "whip_aiortc.py")
	whip := "http://" + d.Addr("webrtc") + "/cam/whip"

	pub := startPeer(t, py, script, whip, rtspPubUser, rtspPubPass, "60")
	rtspWaitPath(t, d, "cam", 30*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	n, code, out := ffmpegDecode(t, rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 25)
	if n < 25 {
		t.Errorf("ffmpeg reading what aiortc published: exit %d, %d frames, want 25:\n%s\naiortc:\n%s", code, n, tailLines(out, 20), pub.tail(2000))
	}
	pub.kill()

	b, _ := runFor(30*time.Second, py, script, whip, rtspPubUser, "wrong", "1")
	if got := strings.TrimSpace(string(b)); got != "status 401" {
		t.Errorf("aiortc publishing with a wrong password: %q, want status 401", got)
	}
}
