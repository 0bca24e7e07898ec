package e2e_test

import (
	"strings"
	"testing"
	"time"
)

// H.265 end to end: ffmpeg publishes H.265 (libx265) over RTSP; ffmpeg
// reads it back over RTSP, SRT (MPEG-TS) and HLS (fMP4, Low-Latency) and
// decodes HEVC frames on each.
func TestH265AcrossProtocols(t *testing.T) {
	t.Parallel()
	d := startHLSDaemon(t, "srt: yes\n")
	wantListeners(t, d, "srt")
	pub := startPeer(t, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "40",
		"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "keyint=25:min-keyint=25:log-level=error",
		"-pix_fmt", "yuv420p", "-f", "rtsp", "-rtsp_transport", "tcp", rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
	defer pub.stop(t)
	p := rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if len(p.Tracks) != 1 || p.Tracks[0] != "H265" {
		t.Errorf("tracks %v, want [H265]", p.Tracks)
	}
	for _, c := range []struct {
		name, src string
		opts      []string
	}{
		{"RTSP", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), nil},
		{"SRT", srtURL(d, srtID("read", "cam", rtspReadUser, rtspReadPass)), nil},
		{"HLS", hlsURL(d, "cam/index.m3u8"), []string{"-headers", "Authorization: " + basicHeader(rtspReadUser, rtspReadPass) + "\r\n"}},
	} {
		n, code, out := ffmpegDecode(t, c.src, 25, c.opts...)
		if code != 0 || n == 0 || !strings.Contains(out, "hevc") {
			t.Errorf("ffmpeg reading H.265 over %s: exit %d, %d frames, want 0, > 0 and hevc:\n%s", c.name, code, n, out)
			continue
		}
		t.Logf("H.265 over %s: ffmpeg decoded %d frames", c.name, n)
	}
}
