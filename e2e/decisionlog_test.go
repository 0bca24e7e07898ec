package e2e_test

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Every authentication logs one decision line (cache hits at debug level)
// with user, action, path, protocol, backend, result and reason; no
// password, in any form, is ever logged.
func TestDecisionLog(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
logLevel: debug
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: loguser, pass: log-secret-77, permissions: [{action: api}]}
- {user: reader, pass: reader-secret-99, permissions: [{action: read}]}
`)
	api := d.URL("api", "/v3/paths/list")
	type want struct{ user, backend, result, reason string }
	steps := []struct {
		opts []reqOpt
		want want
	}{
		{[]reqOpt{basicAuth("loguser", "log-secret-77")}, want{"loguser", "internal", "granted", ""}},
		{[]reqOpt{basicAuth("loguser", "log-secret-77")}, want{"loguser", "internal", "granted", ""}}, // cache hit
		{[]reqOpt{basicAuth("loguser", "log-wrong-88")}, want{"loguser", "internal", "denied", "wrong password"}},
		{[]reqOpt{basicAuth("ghost", "ghost-pass-66")}, want{"ghost", "none", "denied", "unknown user"}},
		{[]reqOpt{basicAuth("reader", "reader-secret-99")}, want{"reader", "internal", "forbidden", "no permission"}},
		{nil, want{"", "none", "ask", "no credentials"}},
		{[]reqOpt{bearer("loguser:log-secret-77")}, want{"loguser", "internal", "granted", ""}},
	}
	for _, s := range steps {
		get(t, api, s.opts...)
	}
	got := d.WaitLogCount("auth decision", len(steps), 5*time.Second)
	if len(got) != len(steps) {
		t.Fatalf("%d auth decision lines for %d requests:\n%s", len(got), len(steps), d.Logs())
	}
	for i, s := range steps {
		e := got[i]
		for _, k := range []string{"user", "action", "path", "protocol", "backend", "result", "reason", "granted", "ip"} {
			if _, ok := e[k]; !ok {
				t.Errorf("decision %d has no %q: %v", i, k, e)
			}
		}
		if e["user"] != s.want.user || e["backend"] != s.want.backend || e["result"] != s.want.result ||
			e["reason"] != s.want.reason || e["action"] != "api" || e["protocol"] != "http" || e["path"] != "" ||
			e["ip"] != "127.0.0.1" || e["granted"] != (s.want.result == "granted") {
			t.Errorf("decision %d: %v, want %+v action=api protocol=http path=\"\" ip=127.0.0.1", i, e, s.want)
		}
	}
	if got[1]["cached"] != true || got[1]["level"] != "DEBUG" {
		t.Errorf("the repeated login is not logged as a cached debug line: %v", got[1])
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	assertNotLogged(t, d, "log-secret-77", "log-wrong-88", "ghost-pass-66", "reader-secret-99",
		b64("loguser:log-secret-77"), b64("loguser:log-wrong-88"))
}

// One request, one decision: a publisher over RTSP, RTMP, SRT and WHIP (its
// label rule held against the path's savantLabels in the same pass) and a
// gateway POST (checked before its body is read and again once the body
// names its topic and labels) each count once in
// streamgate_auth_decisions_total, as granted, and log one decision line. A
// publisher whose label rule the path's labels break is refused over each,
// counted once as forbidden, and publishes nothing.
func TestOneDecisionPerRequest(t *testing.T) {
	t.Parallel()
	ep := testharness.IPCEndpoint(t, "onedecision")
	d := startRTSPDaemon(t, rtspSetup{
		top: "logLevel: debug\nrtmp: yes\nsrt: yes\nwebrtc: yes\nwebrtcIPsFromInterfaces: no\ngateway: yes\ngatewayAddress: 127.0.0.1:0\n" +
			"savant: {url: 'pub+bind:" + ep + "'}\n",
		users: "- {user: labelled, pass: labelled-secret, permissions: [{action: publish}, {action: gateway}], labels: {set: a}}\n" +
			"- {user: onlyx, pass: onlyx-secret, permissions: [{action: publish}, {action: gateway}], labels: {set: x}}\n",
		paths: "  cam-rtsp: &labelled {savantLabels: [a, b]}\n  cam-rtmp: *labelled\n  cam-srt: *labelled\n  cam-whip: *labelled\n  warmup: {}\n",
	})
	const user, pass = "labelled", "labelled-secret"
	count := func(protocol, result string) float64 {
		return d.Metric(t, "streamgate_auth_decisions_total", map[string]string{"protocol": protocol, "result": result})
	}
	published := func(path string) {
		t.Helper()
		rtspWaitPath(t, d, path, 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	}
	rtspFFmpegPublish(t, rtspURL(d, user, pass, "cam-rtsp"), 30, "tcp")
	published("cam-rtsp")
	rtmpFFmpegPublish(t, rtmpURL(d, "cam-rtmp?"+rtmpCreds(user, pass)), 30)
	published("cam-rtmp")
	srtFFmpegPublish(t, srtURL(d, srtID("publish", "cam-srt", user, pass)), 30)
	published("cam-srt")
	pionPublishAs(t, d, "cam-whip", "", user, pass, pion.MimeTypeH264, h264AUs(t, 1))
	published("cam-whip")
	wantStatus(t, "gateway POST", postMedia(t, d.URL("gateway", "/"), composeMedia(t, videoFrame("cam-gw", 1, "a"), "cam-gw").body,
		basicAuth(user, pass)), http.StatusOK)

	// The label rule {set: x} against savantLabels [a, b]: refused.
	const xUser, xPass = "onlyx", "onlyx-secret"
	refused := map[string]*peerProc{
		"RTSP": rtspFFmpegPublish(t, rtspURL(d, xUser, xPass, "cam-rtsp"), 5, "tcp"),
		"RTMP": rtmpFFmpegPublish(t, rtmpURL(d, "cam-rtmp?"+rtmpCreds(xUser, xPass)), 5),
		"SRT":  srtFFmpegPublish(t, srtURL(d, srtID("publish", "cam-srt", xUser, xPass)), 5),
	}
	for name, p := range refused {
		if code := p.wait(t, 20*time.Second); code == 0 {
			t.Errorf("ffmpeg publishing over %s as a user whose label rule the path breaks exited 0", name)
		}
	}
	if status, _, body := webrtcRequest(t, http.MethodPost, webrtcURL(d, "cam-whip/whip"), "application/sdp", "v=0", xUser, xPass); status != http.StatusForbidden {
		t.Errorf("WHIP as a user whose label rule the path breaks: %d %q, want 403", status, body)
	}
	wantStatus(t, "gateway POST breaking the label rule", postMedia(t, d.URL("gateway", "/"),
		composeMedia(t, videoFrame("cam-gw", 2, "a"), "cam-gw").body, basicAuth(xUser, xPass)), http.StatusForbidden)

	logBarrier(t, d)
	lines := map[string]int{}
	for _, e := range d.LogEntriesWhere("auth decision") {
		if e["granted"] == true {
			lines[e["protocol"].(string)]++
		}
	}
	for _, protocol := range []string{"rtsp", "rtmp", "srt", "webrtc", "gateway"} {
		if n := count(protocol, "granted"); n != 1 || lines[protocol] != 1 {
			t.Errorf("%s: %v granted decisions counted and %d logged (debug included) for one request, want 1 and 1",
				protocol, n, lines[protocol])
		}
		if n := count(protocol, "forbidden"); n != 1 {
			t.Errorf("%s: %v forbidden decisions counted for one refused request, want 1", protocol, n)
		}
	}
}
