package e2e_test

import (
	"strings"
	"testing"
	"time"
)

// The cross-protocol pairs the RTMP and SRT tests leave out: a stream
// published over RTMP is read back over SRT, and one published over SRT is
// read back over RTMP, each by ffmpeg with the reader's credentials,
// decoding more than 0 frames.
func TestCrossProtocolRTMPToSRT(t *testing.T) {
	t.Parallel()
	d := startRTMPDaemon(t, "srt: yes\n")
	wantListeners(t, d, "srt")
	pub := rtmpFFmpegPublish(t, rtmpURL(d, "cam?"+rtmpCreds(rtmpPubUser, rtmpPubPass)), 20)
	p := rtspWaitPath(t, d, "cam", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if p.Source == nil || p.Source.Type != "rtmpConn" {
		t.Errorf("/v3/paths/list item %+v, want source rtmpConn (MediaMTX's type)", p)
	}
	n, code, out := ffmpegDecode(t, srtURL(d, srtID("read", "cam", rtmpReadUser, rtmpReadPass)), 25)
	if code != 0 || n == 0 || !strings.Contains(out, "aac") {
		t.Errorf("ffmpeg reading over SRT: exit %d, %d frames decoded, want 0, > 0 and AAC:\n%s", code, n, out)
	}
	t.Logf("RTMP → SRT: ffmpeg decoded %d video frames", n)
	pub.interrupt()
	pub.wait(t, 10*time.Second)
}

func TestCrossProtocolSRTToRTMP(t *testing.T) {
	t.Parallel()
	d := startRTMPDaemon(t, "srt: yes\n")
	wantListeners(t, d, "srt")
	pub := srtFFmpegPublish(t, srtURL(d, srtID("publish", "cam", rtmpPubUser, rtmpPubPass)), 20)
	p := rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if p.Source == nil || p.Source.Type != "srtConn" {
		t.Errorf("/v3/paths/list item %+v, want source srtConn", p)
	}
	n, code, out := ffmpegDecode(t, rtmpURL(d, "cam?"+rtmpCreds(rtmpReadUser, rtmpReadPass)), 25)
	if code != 0 || n == 0 || !strings.Contains(out, "Audio: aac") {
		t.Errorf("ffmpeg reading over RTMP: exit %d, %d frames decoded, want 0, > 0 and AAC:\n%s", code, n, out)
	}
	t.Logf("SRT → RTMP: ffmpeg decoded %d video frames", n)
	pub.stop(t)
}
