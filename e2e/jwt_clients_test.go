package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// JWTs through the other carriers: a short ES256 JWT in an SRT streamid
// (limited to 512 characters) and ?token= in an RTMP URL, with ffmpeg. The
// stream is read back over RTSP with the same token to show it arrived.
func TestJWTOverSRTAndRTMP(t *testing.T) {
	t.Parallel()
	ffmpeg := testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	iss, d := startJWTDaemon(t, "rtsp: yes\nrtspTransports: [tcp]\nsrt: yes\nrtmp: yes\npaths:\n  all_others:\n")
	// Short claims keep the token well under SRT's 512-character streamid.
	now := time.Now().Unix()
	short := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: map[string]any{"iss": jwtIssuer, "aud": jwtAudience, "sub": "s1",
		"exp": now + 600, "mediamtx_permissions": perms("publish:~(srtcam|rtmpcam)", "read:", "api")}})[0]
	other := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: map[string]any{"iss": jwtIssuer, "aud": jwtAudience, "sub": "s2",
		"exp": now + 600, "mediamtx_permissions": perms("read:other")}})[0]
	if n := len("publish:srtcam:user:" + short); n > 512 {
		t.Fatalf("streamid of %d characters", n)
	}
	source := []string{"-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "30",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "10"}
	startFFmpeg(t, ffmpeg, append(source, "-f", "mpegts",
		fmt.Sprintf("srt://%s?streamid=publish:srtcam:user:%s&pkt_size=1316", d.Addr("srt"), short))...)
	startFFmpeg(t, ffmpeg, append(source, "-f", "flv",
		fmt.Sprintf("rtmp://%s/rtmpcam?token=%s", d.Addr("rtmp"), url.QueryEscape(short)))...)
	for _, path := range []string{"srtcam", "rtmpcam"} {
		waitStatus(t, path+" published with a JWT", 15*time.Second, http.StatusOK, func() answer {
			a := get(t, d.URL("api", "/v3/paths/list"), bearer(short))
			if !strings.Contains(a.body, `"name": "`+path+`"`) {
				a.status = http.StatusNotFound
			}
			return a
		})
		read := []string{"-rtsp_transport", "tcp", "-analyzeduration", "500000", "-i",
			fmt.Sprintf("rtsp://%s/%s?jwt=%s", d.Addr("rtsp"), path, short), "-t", "1", "-f", "null", "-"}
		if out, err := runFFmpeg(ffmpeg, 15*time.Second, read...); err != nil {
			t.Errorf("reading %s back over RTSP: %v\n%s", path, err, out)
		}
	}
	// A token without publish permission is refused on both carriers.
	out, err := runFFmpeg(ffmpeg, 15*time.Second, append(source, "-t", "2", "-f", "mpegts",
		fmt.Sprintf("srt://%s?streamid=publish:srtother:user:%s&pkt_size=1316", d.Addr("srt"), other))...)
	if err == nil {
		t.Errorf("SRT publish with a read-only JWT succeeded\n%s", out)
	}
	out, err = runFFmpeg(ffmpeg, 15*time.Second, append(source, "-t", "2", "-f", "flv",
		fmt.Sprintf("rtmp://%s/rtmpother?token=%s", d.Addr("rtmp"), url.QueryEscape(other)))...)
	if err == nil {
		t.Errorf("RTMP publish with a read-only JWT succeeded\n%s", out)
	}
}
