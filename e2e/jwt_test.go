package e2e_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Tokens come from e2e/testdata/jwtgen.py (PyJWT), the JWKS from a local
// server; the binary verifies them. RTMP, SRT and HLS carriers are built by
// other listeners' work and are not covered here yet.

const (
	jwtIssuer   = "https://idp.example/realms/streamgate"
	jwtAudience = "streamgate"
)

func jwtConfig(jwks string, extra string) string {
	return fmt.Sprintf(`
authRealm: e2e-jwt
authMethod: [internal, jwt]
authInternalUsers:
- user: admin
  pass: admin-secret-0
  permissions: [{action: api}]
authJWTJWKS: %s
authJWTIssuer: %s
authJWTAudience: %s
authJWTLeeway: 5s
`, jwks, jwtIssuer, jwtAudience) + extra
}

// startJWTDaemon runs jwtConfig plus extra against a JWKS server that
// publishes the shared issuer's key ec1.
func startJWTDaemon(t *testing.T, extra string) (*testharness.JWTIssuer, *testharness.Daemon) {
	t.Helper()
	iss := testharness.SharedJWTIssuer(t)
	jwks := testharness.StartJWKSServer(t, iss.JWKS(t, "ec1"))
	return iss, testharness.Start(t, jwtConfig(jwks.URL(), extra))
}

// permsSpec is a token signed with ec1, valid for ten minutes (jwtClaims),
// whose mediamtx_permissions are p (perms).
func permsSpec(p ...string) testharness.TokenSpec {
	return testharness.TokenSpec{Key: "ec1", Claims: jwtClaims(map[string]any{"mediamtx_permissions": perms(p...)})}
}

// jwtClaims are claims valid for ten minutes, plus extra.
func jwtClaims(extra map[string]any) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{"iss": jwtIssuer, "aud": jwtAudience, "sub": "650ad09f", "iat": now, "exp": now + 600}
	maps.Copy(c, extra)
	return c
}

func perms(actions ...string) []map[string]string {
	var out []map[string]string
	for _, a := range actions {
		action, path, _ := strings.Cut(a, ":")
		out = append(out, map[string]string{"action": action, "path": path})
	}
	return out
}

func asJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The acceptance matrix over the API: accepted shapes and carriers, and
// every refusal the issue lists; then POST /v3/auth/jwks/refresh.
func TestJWTAcceptedAndRefused(t *testing.T) {
	t.Parallel()
	iss := testharness.SharedJWTIssuer(t)
	jwks := testharness.StartJWKSServer(t, iss.JWKS(t, "rsa1", "ec1"))
	d := testharness.Start(t, jwtConfig(jwks.URL(), "authJWTInHTTPQuery: yes\n"))
	now := time.Now().Unix()
	api := perms("api")
	type tc struct {
		name string
		spec testharness.TokenSpec
		want int
	}
	cases := []tc{
		{"RS256, claim as a JSON array", testharness.TokenSpec{Key: "rsa1", Claims: jwtClaims(map[string]any{"mediamtx_permissions": api})}, http.StatusOK},
		{"ES256, claim as a JSON string", testharness.TokenSpec{Key: "ec1", Claims: jwtClaims(map[string]any{"mediamtx_permissions": asJSONString(api)})}, http.StatusOK},
		{"RS256, Keycloak multivalued attribute", testharness.TokenSpec{Key: "rsa1", Claims: jwtClaims(map[string]any{
			"mediamtx_permissions": []string{`{"action":"publish", "path": ""}`, `{"action":"api"}`}, "preferred_username": "testuser"})}, http.StatusOK},
		{"valid, without api permission", permsSpec("publish:cam"), http.StatusForbidden},
		{"expired", testharness.TokenSpec{Key: "rsa1", Claims: jwtClaims(map[string]any{"exp": now - 60, "mediamtx_permissions": api})}, http.StatusUnauthorized},
		{"nbf in the future", testharness.TokenSpec{Key: "rsa1", Claims: jwtClaims(map[string]any{"nbf": now + 120, "mediamtx_permissions": api})}, http.StatusUnauthorized},
		{"no exp", testharness.TokenSpec{Key: "rsa1", Claims: without(jwtClaims(map[string]any{"mediamtx_permissions": api}), "exp")}, http.StatusUnauthorized},
		{"alg none", testharness.TokenSpec{Key: "rsa1", Mode: "none", Claims: jwtClaims(map[string]any{"mediamtx_permissions": api})}, http.StatusUnauthorized},
		{"HS256 keyed with the RSA public key", testharness.TokenSpec{Key: "rsa1", Mode: "hs-pubkey", Claims: jwtClaims(map[string]any{"mediamtx_permissions": api})}, http.StatusUnauthorized},
		{"wrong iss", testharness.TokenSpec{Key: "rsa1", Claims: jwtClaims(map[string]any{"iss": "https://evil.example", "mediamtx_permissions": api})}, http.StatusUnauthorized},
		{"wrong aud", testharness.TokenSpec{Key: "rsa1", Claims: jwtClaims(map[string]any{"aud": "someone-else", "mediamtx_permissions": api})}, http.StatusUnauthorized},
		{"unknown kid", testharness.TokenSpec{Key: "rsa2", Claims: jwtClaims(map[string]any{"mediamtx_permissions": api})}, http.StatusUnauthorized},
		{"tampered payload", testharness.TokenSpec{Key: "ec1", Mode: "tamper", Claims: jwtClaims(map[string]any{"mediamtx_permissions": perms("read")})}, http.StatusUnauthorized},
	}
	specs := make([]testharness.TokenSpec, len(cases))
	for i, c := range cases {
		specs[i] = c.spec
	}
	tokens := iss.Sign(t, specs...)
	list := d.URL("api", "/v3/paths/list")
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := get(t, list, bearer(tokens[i]))
			if c.want == http.StatusUnauthorized {
				wantChallenge(t, "Bearer", a, "e2e-jwt")
			} else {
				wantStatus(t, "Bearer", a, c.want)
			}
			wantStatus(t, "Basic with the token as password", get(t, list, basicAuth("anyone", tokens[i])), c.want)
			wantStatus(t, "?jwt=", get(t, list+"?jwt="+url.QueryEscape(tokens[i])), c.want)
		})
	}
	wantStatus(t, "internal admin in the same chain", get(t, list, basicAuth("admin", "admin-secret-0")), http.StatusOK)
	assertNotLogged(t, d, tokens[0], tokens[1])

	refresh := d.URL("api", "/v3/auth/jwks/refresh")
	before := jwks.Hits()
	wantStatus(t, "refresh", post(t, refresh, "", nil, bearer(tokens[0])), http.StatusOK)
	if jwks.Hits() != before+1 {
		t.Errorf("refresh fetched the JWKS %d times, want once", jwks.Hits()-before)
	}
	wantChallenge(t, "refresh without credentials", post(t, refresh, "", nil), "e2e-jwt")
	jwks.Down()
	wantStatus(t, "refresh with the JWKS down", post(t, refresh, "", nil, basicAuth("admin", "admin-secret-0")), http.StatusServiceUnavailable)
}

func without(c map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		delete(c, k)
	}
	return c
}

// Rotation: the JWKS gains a key, and a token under it is accepted on its
// first use; with the JWKS server down, tokens under known keys keep
// working (fresh tokens: verified, not answered from the cache).
func TestJWTRotationAndJWKSOutage(t *testing.T) {
	t.Parallel()
	iss := testharness.SharedJWTIssuer(t)
	jwks := testharness.StartJWKSServer(t, iss.JWKS(t, "rsa1"))
	d := testharness.Start(t, jwtConfig(jwks.URL(), ""))
	spec := func(key string, n int) testharness.TokenSpec {
		return testharness.TokenSpec{Key: key, Claims: jwtClaims(map[string]any{"jti": fmt.Sprint(n), "mediamtx_permissions": perms("api")})}
	}
	toks := iss.Sign(t, spec("rsa1", 1), spec("rsa2", 2), spec("rsa1", 3), spec("rsa2", 4), spec("ec1", 5))
	list := d.URL("api", "/v3/paths/list")

	wantStatus(t, "rsa1", get(t, list, bearer(toks[0])), http.StatusOK)
	jwks.Set(iss.JWKS(t, "rsa1", "rsa2"))
	wantStatus(t, "rsa2, first use after the JWKS gained it", get(t, list, bearer(toks[1])), http.StatusOK)

	jwks.Down()
	wantStatus(t, "a fresh rsa1 token, JWKS down", get(t, list, bearer(toks[2])), http.StatusOK)
	wantStatus(t, "a fresh rsa2 token, JWKS down", get(t, list, bearer(toks[3])), http.StatusOK)
	start := time.Now()
	wantChallenge(t, "unknown kid, JWKS down", get(t, list, bearer(toks[4])), "e2e-jwt")
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("an unknown kid with the JWKS down took %s", took)
	}
}

// Real RTSP clients with a JWT. Debian 12's ffmpeg (5.1) cuts the user
// information of an rtsp:// URL at 127 bytes, shorter than any signed JWT,
// so ffmpeg carries it in ?jwt=; GStreamer's RTSP elements send it as the
// Basic password (what rtsp://user:JWT@… means). Tokens without the
// permission are refused.
func TestJWTRTSPWithFFmpegAndGStreamer(t *testing.T) {
	t.Parallel()
	ffmpeg := testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	gst := requireGStreamer(t)
	iss, d := startJWTDaemon(t, "rtsp: yes\nrtspTransports: [tcp]\npaths:\n  all_others:\n")
	toks := iss.Sign(t,
		permsSpec("publish:~cam[0-9]*", "read:cam", "api"),
		permsSpec("read:other"),
	)
	good, readOther := toks[0], toks[1]
	base := "rtsp://" + d.Addr("rtsp") + "/"

	startFFmpeg(t, ffmpeg, "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "30",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "10",
		"-f", "rtsp", "-rtsp_transport", "tcp", base+"cam?jwt="+good)
	waitStatus(t, "cam published by ffmpeg with ?jwt=", 10*time.Second, http.StatusOK, func() answer {
		a := get(t, d.URL("api", "/v3/paths/list"), bearer(good))
		if !strings.Contains(a.body, `"name": "cam"`) {
			a.status = http.StatusNotFound
		}
		return a
	})
	read := []string{"-rtsp_transport", "tcp", "-analyzeduration", "500000", "-t", "1", "-f", "null", "-"}
	if out, err := runFFmpeg(ffmpeg, 10*time.Second, append([]string{"-i", base + "cam?jwt=" + good}, read...)...); err != nil {
		t.Errorf("ffmpeg reading cam with ?jwt=: %v\n%s", err, out)
	}
	if out, err := runFFmpeg(ffmpeg, 10*time.Second, append([]string{"-i", base + "cam?jwt=" + readOther}, read...)...); err == nil {
		t.Errorf("ffmpeg reading cam with a JWT for another path succeeded\n%s", out)
	}

	gstRead := func(tok string) ([]byte, error) {
		return runGStreamer(gst, "rtspsrc", "location="+base+"cam", "protocols=tcp", "user-id=user", "user-pw="+tok,
			"!", "rtph264depay", "!", "identity", "eos-after=5", "!", "fakesink")
	}
	if out, err := gstRead(good); err != nil {
		t.Errorf("GStreamer reading cam with the JWT as password: %v\n%s", err, out)
	}
	if out, err := gstRead(readOther); err == nil {
		t.Errorf("GStreamer reading cam with a JWT for another path succeeded\n%s", out)
	}
	// The granted publish goes through a tap: its end is judged by what the
	// server did, not by rtspclientsink's own end-of-stream races
	// (rtsp_gst_eos_test.go).
	tap := startRTSPTap(t, d.Addr("rtsp"))
	gstPublishTo := func(addr, path, tok string) []string {
		return []string{"videotestsrc", "num-buffers=15", "is-live=true", "!", "video/x-raw,width=160,height=120,framerate=10/1",
			"!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=5", "!", "video/x-h264,profile=baseline",
			"!", "rtspclientsink", "location=rtsp://" + addr + "/" + path, "protocols=tcp", "user-id=user", "user-pw=" + tok}
	}
	gstPublishThroughTap(t, "GStreamer publishing cam2 with the JWT as password", tap, 0, 15*time.Second,
		append([]string{"-q"}, gstPublishTo(tap.Addr(), "cam2", good)...)...)
	if out, err := runGStreamer(gst, gstPublishTo(d.Addr("rtsp"), "cam3", readOther)...); err == nil {
		t.Errorf("GStreamer publishing with a read-only JWT succeeded\n%s", out)
	}
}

// requireGStreamer checks gst-launch-1.0 and the elements the RTSP test
// uses, naming the Debian packages that hold them.
func requireGStreamer(t *testing.T) string {
	t.Helper()
	return testharness.RequireGStreamer(t, testharness.GstElement{Name: "rtspsrc", Package: "gstreamer1.0-plugins-good"},
		testharness.GstElement{Name: "rtph264depay", Package: "gstreamer1.0-plugins-good"},
		testharness.GstElement{Name: "rtspclientsink", Package: "gstreamer1.0-rtsp"},
		testharness.GstElement{Name: "x264enc", Package: "gstreamer1.0-plugins-ugly"},
		testharness.GstElement{Name: "videotestsrc", Package: "gstreamer1.0-plugins-base"})
}

func runGStreamer(bin string, pipeline ...string) ([]byte, error) {
	return runFor(15*time.Second, bin, append([]string{"-q"}, pipeline...)...)
}
