package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// tokenScopeTop are the listeners the token scope tests open, and a
// publisher for the reading checks.
func tokenScopeTop(t *testing.T) string {
	return `authInternalUsers:
- {user: pub, pass: pub-secret-1, permissions: [{action: publish}]}
rtsp: yes
rtspTransports: [tcp]
rtmp: yes
srt: yes
hls: yes
metrics: yes
pprof: yes
gateway: yes
savant: {url: "pub+bind:` + testharness.IPCEndpoint(t, "scope") + `"}
`
}

// A token is for playback (issue 12, defect 4): with a verification that
// lists no actions — and no `enabled`, which defaults to yes (seed 003) —
// a token signed with `token sign`'s default acl /* reads over RTSP and
// HLS, and is refused (403, or the protocol's rejection) on the API, the
// metrics, pprof, the gateway, and publishing over RTSP, RTMP and SRT. With
// publish listed in the verification's actions, publishing works on all
// three; the API stays closed.
func TestTokenScope(t *testing.T) {
	t.Parallel()
	t.Run("default actions", func(t *testing.T) {
		t.Parallel()
		d, sign := startTokenDaemon(t, "{name: v1, secretIds: [sec-1]}", tokenScopeTop(t))
		tok := sign("/*")
		q := "?token=" + url.QueryEscape(tok)

		// Reading: RTSP DESCRIBE of a published path, the HLS player page.
		pub := tokenRTSPPublish(t, "rtsp://pub:pub-secret-1@"+d.Addr("rtsp")+"/cam")
		if pub != nil {
			t.Fatalf("RTSP publish as pub: %v", pub)
		}
		if got := tokenRTSPDescribe(t, d.Addr("rtsp"), "/cam"+q); !strings.HasPrefix(got, "RTSP/1.0 200") {
			t.Errorf("RTSP DESCRIBE with the token: %s, want 200 (a token reads)", got)
		}
		wantStatus(t, "HLS player page with the token", get(t, hlsURL(d, "cam/")+q), http.StatusOK)

		for _, c := range []struct{ what, url string }{
			{"API /v3/config/get", d.URL("api", "/v3/config/get")},
			{"API /v3/paths/list", d.URL("api", "/v3/paths/list")},
			{"/metrics", d.URL("metrics", "/metrics")},
			{"pprof", d.URL("pprof", "/debug/pprof/")},
		} {
			wantStatus(t, c.what+" with a viewer's token", get(t, c.url+q), http.StatusForbidden)
			wantStatus(t, c.what+" with a viewer's token as Bearer", get(t, c.url, bearer(tok)), http.StatusForbidden)
		}
		eos := composeMedia(t, endOfStream("cam", 1), "cam").body
		wantStatus(t, "gateway POST of an EndOfStream with a viewer's token", postMedia(t, d.URL("gateway", "/"), eos, bearer(tok)), http.StatusForbidden)

		if err := tokenRTSPPublish(t, "rtsp://"+d.Addr("rtsp")+"/cam2"+q); err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("RTSP publish with a viewer's token: %v, want 403", err)
		}
		if err := rtmpTryPublish(d.Addr("rtmp"), "/cam3"+q); err == nil || !strings.Contains(err.Error(), "forbidden") {
			t.Errorf("RTMP publish with a viewer's token: %v, want refused (forbidden)", err)
		}
		if err := srtTryDial(d.Addr("srt"), "publish:cam4:token="+url.QueryEscape(tok)); err == nil {
			t.Error("SRT publish with a viewer's token was accepted")
		}
		assertNotLogged(t, d, tok, tokenHexKey)
	})
	t.Run("publish listed", func(t *testing.T) {
		t.Parallel()
		d, sign := startTokenDaemon(t, "{name: v1, secretIds: [sec-1], actions: [read, playback, publish]}", tokenScopeTop(t))
		tok := sign("/*")
		q := "?token=" + url.QueryEscape(tok)
		if err := tokenRTSPPublish(t, "rtsp://"+d.Addr("rtsp")+"/cam2"+q); err != nil {
			t.Errorf("RTSP publish with a token listing publish: %v", err)
		}
		if err := rtmpTryPublish(d.Addr("rtmp"), "/cam3"+q); err != nil {
			t.Errorf("RTMP publish with a token listing publish: %v", err)
		}
		if err := srtTryDial(d.Addr("srt"), "publish:cam4:token="+url.QueryEscape(tok)); err != nil {
			t.Errorf("SRT publish with a token listing publish: %v", err)
		}
		wantStatus(t, "API with a token listing publish", get(t, d.URL("api", "/v3/config/get")+q), http.StatusForbidden)
	})
}

// tokenRTSPPublish announces an H.264 stream to rtspURL with gortsplib and
// keeps it published until the test ends; nil when it was accepted.
func tokenRTSPPublish(t *testing.T, rtspURL string) error {
	c, err := rtspAnnounce(rtspURL)
	if err != nil {
		return err
	}
	t.Cleanup(c.Close)
	return nil
}

// tokenRTSPDescribe sends one DESCRIBE of pathAndQuery and returns the
// status line.
func tokenRTSPDescribe(t *testing.T, addr, pathAndQuery string) string {
	t.Helper()
	c := mustDialDescriber(t, addr, pathAndQuery)
	defer c.conn.Close()
	status, _ := c.mustDescribe(t, "")
	return status
}
