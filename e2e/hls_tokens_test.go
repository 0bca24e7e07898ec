package e2e_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// HLS with a JWT (issue "HTTP and JWT"): ffmpeg sends
// `Authorization: Bearer <jwt>` on every playlist and segment request and
// decodes frames; a JWT for another path is refused with 403, no token with
// 401.
func TestHLSBearerJWT(t *testing.T) {
	t.Parallel()
	ffmpeg := testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	iss, d := startJWTDaemon(t, "rtsp: yes\nrtspTransports: [tcp]\nhls: yes\npaths:\n  all_others:\n")
	toks := iss.Sign(t,
		permsSpec("publish:cam", "read:cam", "api"),
		permsSpec("read:other"),
	)
	good, readOther := toks[0], toks[1]
	startFFmpeg(t, ffmpeg, "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "40",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
		"-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://"+d.Addr("rtsp")+"/cam?jwt="+good)
	playlist := hlsURL(d, "cam/index.m3u8")
	waitStatus(t, "HLS playlist with Bearer JWT", 15*time.Second, http.StatusOK, func() answer { return get(t, playlist, bearer(good)) })

	n, code, out := ffmpegDecode(t, playlist, 50, "-headers", "Authorization: Bearer "+good+"\r\n")
	if code != 0 || n < 50 {
		t.Errorf("ffmpeg reading HLS with a Bearer JWT: exit %d, %d frames, want 0 and 50:\n%s", code, n, out)
	}
	t.Logf("ffmpeg decoded %d frames over HLS with Authorization: Bearer <jwt>", n)
	wantStatus(t, "HLS with a JWT for another path", get(t, playlist, bearer(readOther)), http.StatusForbidden)
	wantChallenge(t, "HLS without a token", get(t, playlist), "e2e-jwt")
	assertNotLogged(t, d, good, readOther)
}

// HLS with signed URL tokens (issue "Live reconfiguration, precedence and
// URL tokens"): ffmpeg plays /cam/index.m3u8?token=… with a token made by
// npm akamai-edgeauth, the playlists carry
// the token on to every segment and part; the __token__ cookie works too; a
// token whose acl does not cover the path is refused with 403.
func TestHLSURLToken(t *testing.T) {
	t.Parallel()
	d, sign := startTokenDaemon(t, "{name: v1, secretIds: [sec-1]}", `authInternalUsers:
- {user: pub, pass: pub-secret-1, permissions: [{action: publish}]}
rtsp: yes
rtspTransports: [tcp]
hls: yes
`)
	// The reader's token comes from npm akamai-edgeauth (an independent
	// implementation) with the same hex key; the CLI's serves the refusals.
	good, narrow := npmToken(t, "/cam/*"), sign("/other/*")
	if cli := sign("/cam/*"); get(t, hlsURL(d, "cam/")+"?token="+url.QueryEscape(cli)).status != http.StatusOK {
		t.Error("the player page with a `streamgate token sign` token was refused")
	}
	pub := rtspFFmpegPublish(t, rtspURL(d, "pub", "pub-secret-1", "cam"), 40, "tcp")
	defer pub.stop(t)
	playlist := hlsURL(d, "cam/index.m3u8")
	waitStatus(t, "HLS playlist with ?token=", 15*time.Second, http.StatusOK,
		func() answer { return get(t, playlist+"?token="+url.QueryEscape(good)) })

	n, code, out := ffmpegDecode(t, playlist+"?token="+url.QueryEscape(good), 50)
	if code != 0 || n < 50 {
		t.Errorf("ffmpeg reading HLS with ?token=: exit %d, %d frames, want 0 and 50:\n%s", code, n, out)
	}
	t.Logf("ffmpeg decoded %d frames over HLS with ?token=", n)
	wantStatus(t, "HLS __token__ cookie", get(t, playlist, header("Cookie", "__token__="+good)), http.StatusOK)
	wantStatus(t, "HLS token outside its acl", get(t, playlist+"?token="+url.QueryEscape(narrow)), http.StatusForbidden)
	wantChallenge(t, "HLS without a token", get(t, playlist), "streamgate")
	assertNotLogged(t, d, good, narrow, tokenHexKey)
}
