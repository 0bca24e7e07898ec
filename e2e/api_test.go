package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The users of the control API tests (besides the RTSP tests' pub, viewer
// and admin): one without the api permission.
const apiNoAPIUser, apiNoAPIPass = "noapi", "noapi-secret-4"

// apiDaemon runs RTSP, RTMP, SRT, HLS, WebRTC and the API, publishes cam
// over RTSP (H.264 and AAC) for seconds and waits until it is live.
func apiDaemon(t *testing.T, seconds float64) *testharness.Daemon {
	t.Helper()
	d := startRTSPDaemon(t, rtspSetup{
		top:   "rtmp: yes\nsrt: yes\nhls: yes\nhlsSegmentDuration: 1s\nhlsPartDuration: 200ms\nwebrtc: yes\n",
		paths: "  cam: {}\n  live/gst: {}\n",
		users: fmt.Sprintf("- {user: %s, pass: %s, permissions: [{action: read}, {action: metrics}]}\n", apiNoAPIUser, apiNoAPIPass),
	})
	for _, l := range []string{"rtmp", "srt", "hls", "webrtc", "api"} {
		if d.Addr(l) == "" {
			t.Fatalf("no %s listener started:\n%s", l, d.Logs())
		}
	}
	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), seconds, "tcp")
	t.Cleanup(func() { pub.kill() })
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	return d
}

// apiCall sends method url as admin with body (JSON; "" for none).
func apiCall(t testing.TB, d *testharness.Daemon, method, path, body string, opts ...reqOpt) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, d.URL("api", path), r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if len(opts) == 0 {
		opts = []reqOpt{basicAuth(rtspAdminUser, rtspAdminPass)}
	}
	for _, o := range opts {
		o(req)
	}
	res, err := defaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

// apiItems waits up to 15 s for kind's list to hold an item for which
// ok holds, and returns it.
func apiWaitItem(t testing.TB, d *testharness.Daemon, kind string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a := apiCall(t, d, http.MethodGet, "/v3/"+kind+"/list", "")
		for _, it := range checkList(t, kind, schemaOf[kind], a.body, whoOf(kind)) {
			if ok(it) {
				return it
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no matching item within 15 s: %s", kind, a.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// schemaOf is the item schema of each list.
var schemaOf = map[string]string{
	"rtspconns": "RTSPConn", "rtspsessions": "RTSPSession", "rtspsconns": "RTSPConn", "rtspssessions": "RTSPSession",
	"rtmpconns": "RTMPConn", "rtmpsconns": "RTMPConn", "srtconns": "SRTConn", "webrtcsessions": "WebRTCSession",
	"hlsmuxers": "HLSMuxer", "hlssessions": "HLSSession", "paths": "Path",
}

// whoOf is streamgate's addition to kind's items (none for HLS muxers and
// paths).
func whoOf(kind string) map[string]string {
	if kind == "hlsmuxers" || kind == "paths" {
		return nil
	}
	return streamgateWho
}

func reading(user string) func(map[string]any) bool {
	return func(it map[string]any) bool { return it["state"] == "read" && it["user"] == user }
}

// whepPlay reads path over WHEP as user with a pion player on loopback and
// waits until the peer connection is up.
func whepPlay(t *testing.T, d *testharness.Daemon, path, user, pass string) *pion.PeerConnection {
	t.Helper()
	pc := testharness.LoopbackPeerConnection(t, pion.Configuration{})
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
		}
	})
	testharness.Receive(t, pc, pion.RTPCodecTypeVideo)
	testharness.GatheredOffer(t, pc)
	req, _ := http.NewRequest(http.MethodPost, "http://"+d.Addr("webrtc")+"/"+path+"/whep", strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	req.SetBasicAuth(user, pass)
	res, err := defaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("WHEP offer: %d %s", res.StatusCode, body)
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(body)}); err != nil {
		t.Fatal(err)
	}
	testharness.WaitConnected(t, pc, 15*time.Second)
	return pc
}

// ffmpegReader starts ffmpeg reading src until killed, decoding to null.
func ffmpegReader(t *testing.T, src string, inputOpts ...string) *peerProc {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	args := append([]string{"-hide_banner", "-nostdin", "-loglevel", "info", "-stats"}, inputOpts...)
	return startPeer(t, "ffmpeg", append(args, "-i", src, "-f", "null", "-")...)
}

// failures is how many logins failed (denied or forbidden) and how many
// were refused by a quarantine.
func failures(t testing.TB, d *testharness.Daemon) (failed, quarantined float64) {
	t.Helper()
	fams := d.MetricFamilies(t)
	failed = testharness.MetricValue(fams, "streamgate_auth_decisions_total", map[string]string{"result": "denied"}) +
		testharness.MetricValue(fams, "streamgate_auth_decisions_total", map[string]string{"result": "forbidden"})
	return failed, testharness.MetricValue(fams, "streamgate_auth_quarantined_total", nil)
}

// wantNoSecrets fails when an answer shows a password of the test users.
func wantNoSecrets(t testing.TB, what, body string, secrets ...string) {
	t.Helper()
	for _, s := range append([]string{rtspPubPass, rtspReadPass, rtspAdminPass, apiNoAPIPass}, secrets...) {
		if strings.Contains(body, s) {
			t.Errorf("%s shows a password (%q):\n%s", what, s, body)
		}
	}
}

// Every v3 endpoint with ffmpeg readers over RTSP, RTMP and SRT, a pion
// WebRTC reader and an HLS muxer connected: answers checked against
// MediaMTX's schema (api_schema_test.go), each item with the user it
// authenticated as and the backend; no password in any answer. Kicks end
// the RTSP, RTMP and SRT ffmpeg readers and the WebRTC session; each item
// is gone within 1 s, and the kicked user's next login succeeds without a
// failure being counted.
func TestAPIParity(t *testing.T) {
	t.Parallel()
	d := apiDaemon(t, 120)
	rtspRd := ffmpegReader(t, rtspURL(d, rtspReadUser, rtspReadPass, "cam"), "-rtsp_transport", "tcp")
	rtmpRd := ffmpegReader(t, rtmpURLOf(d, "cam?"+rtmpCreds(rtspReadUser, rtspReadPass)))
	srtRd := ffmpegReader(t, srtURL(d, srtID("read", "cam", rtspReadUser, rtspReadPass)))
	wc := whepPlay(t, d, "cam", rtspReadUser, rtspReadPass)
	waitStatus(t, "HLS playlist", 20*time.Second, http.StatusOK,
		func() answer { return get(t, hlsURL(d, "cam/index.m3u8"), basicAuth(rtspReadUser, rtspReadPass)) })
	waitFrames(t, "readers", 25, 20*time.Second, rtspRd, rtmpRd, srtRd)
	// A GStreamer publisher over RTMP.
	gst := rtmpGstPublish(t, rtmpURLOf(d, "live/gst?"+rtmpCreds(rtspPubUser, rtspPubPass)), 3000)
	defer gst.kill()
	gstConn := apiWaitItem(t, d, "rtmpconns", func(it map[string]any) bool { return it["state"] == "publish" })
	if gstConn["user"] != rtspPubUser || gstConn["path"] != "live/gst" || strings.Contains(fmt.Sprint(gstConn["query"]), rtspPubPass) {
		t.Errorf("the GStreamer publisher's item: %v", gstConn)
	}
	rtspWaitPath(t, d, "live/gst", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })

	items := map[string]map[string]any{
		"rtspsessions":   apiWaitItem(t, d, "rtspsessions", reading(rtspReadUser)),
		"rtmpconns":      apiWaitItem(t, d, "rtmpconns", reading(rtspReadUser)),
		"srtconns":       apiWaitItem(t, d, "srtconns", reading(rtspReadUser)),
		"webrtcsessions": apiWaitItem(t, d, "webrtcsessions", reading(rtspReadUser)),
		"rtspconns":      apiWaitItem(t, d, "rtspconns", func(it map[string]any) bool { return it["session"] != nil }),
		"hlsmuxers":      apiWaitItem(t, d, "hlsmuxers", func(it map[string]any) bool { return it["path"] == "cam" }),
		"hlssessions":    apiWaitItem(t, d, "hlssessions", func(it map[string]any) bool { return it["user"] == rtspReadUser }),
	}
	for kind, it := range items {
		if kind != "rtspconns" && kind != "hlsmuxers" && it["authBackend"] != "internal" {
			t.Errorf("%s: authBackend %v, want internal", kind, it["authBackend"])
		}
	}
	if pubs := apiWaitItem(t, d, "rtspsessions", func(it map[string]any) bool { return it["state"] == "publish" }); pubs["user"] != rtspPubUser {
		t.Errorf("the publishing RTSP session's user is %v, want %s", pubs["user"], rtspPubUser)
	}

	var answers []string
	keep := func(what string, a answer) answer {
		answers = append(answers, what+": "+a.body)
		return a
	}
	// Lists, gets and an unknown ID per kind.
	for _, kind := range []string{"rtspconns", "rtspsessions", "rtspsconns", "rtspssessions", "rtmpconns", "rtmpsconns",
		"srtconns", "webrtcsessions", "hlsmuxers", "hlssessions"} {
		a := keep(kind, apiCall(t, d, http.MethodGet, "/v3/"+kind+"/list?itemsPerPage=100&page=0", ""))
		wantStatus(t, kind+" list", a, http.StatusOK)
		checkList(t, kind+" list", schemaOf[kind], a.body, whoOf(kind))
		if it, ok := items[kind]; ok {
			id, _ := it["id"].(string)
			if kind == "hlsmuxers" {
				id = "cam"
			}
			g := keep(kind, apiCall(t, d, http.MethodGet, "/v3/"+kind+"/get/"+id, ""))
			wantStatus(t, kind+" get", g, http.StatusOK)
			checkSchema(t, kind+" get", schemaOf[kind], decodeJSON(t, kind, g.body), whoOf(kind))
		}
		nf := apiCall(t, d, http.MethodGet, "/v3/"+kind+"/get/00000000-0000-0000-0000-000000000000", "")
		wantStatus(t, kind+" get unknown", nf, http.StatusNotFound)
		checkSchema(t, kind+" get unknown", "Error", decodeJSON(t, kind, nf.body))
	}
	// Pagination as MediaMTX: two RTSP sessions (publisher, reader), one a page.
	pg := apiCall(t, d, http.MethodGet, "/v3/rtspsessions/list?itemsPerPage=1&page=1", "")
	if v := decodeJSON(t, "page", pg.body).(map[string]any); fmt.Sprintf("%v %v %d", v["itemCount"], v["pageCount"], len(asList(v["items"]))) != "2 2 1" {
		t.Errorf("rtspsessions itemsPerPage=1 page=1: itemCount %v pageCount %v items %d, want 2 2 1", v["itemCount"], v["pageCount"], len(asList(v["items"])))
	}
	wantStatus(t, "itemsPerPage=0", apiCall(t, d, http.MethodGet, "/v3/rtspsessions/list?itemsPerPage=0", ""), http.StatusBadRequest)

	// Paths, info, configuration.
	pl := keep("paths", apiCall(t, d, http.MethodGet, "/v3/paths/list", ""))
	paths := checkList(t, "paths list", "Path", pl.body)
	if len(paths) != 2 || paths[0]["name"] != "cam" || len(asList(paths[0]["readers"])) < 5 ||
		paths[1]["name"] != "live/gst" || paths[1]["source"].(map[string]any)["type"] != "rtmpConn" {
		t.Errorf("paths list: want cam with its readers: %s", pl.body)
	}
	for _, name := range []string{"cam", "live/gst"} {
		pget := keep("paths get", apiCall(t, d, http.MethodGet, "/v3/paths/get/"+name, ""))
		wantStatus(t, "paths get "+name, pget, http.StatusOK)
		checkSchema(t, "paths get", "Path", decodeJSON(t, "paths get", pget.body))
	}
	wantStatus(t, "paths get unknown", apiCall(t, d, http.MethodGet, "/v3/paths/get/nope", ""), http.StatusNotFound)
	info := keep("info", apiCall(t, d, http.MethodGet, "/v3/info", ""))
	checkSchema(t, "info", "Info", decodeJSON(t, "info", info.body))
	for _, c := range []struct{ path, schema string }{{"/v3/config/global/get", "GlobalConf"},
		{"/v3/config/pathdefaults/get", "PathDefaults"}, {"/v3/config/paths/get/cam", "PathConf"}, {"/v3/config/get", "GlobalConf"}} {
		a := keep(c.path, apiCall(t, d, http.MethodGet, c.path, ""))
		wantStatus(t, c.path, a, http.StatusOK)
		checkSchema(t, c.path, c.schema, decodeJSON(t, c.path, a.body))
	}
	checkList(t, "config paths list", "PathConf", keep("config paths", apiCall(t, d, http.MethodGet, "/v3/config/paths/list", "")).body)
	for _, a := range answers {
		wantNoSecrets(t, "the API", a)
	}

	// Kicks: each reader ends, its item is gone within 1 s.
	failedBefore, quarantinedBefore := failures(t, d)
	kicks := []struct {
		kind string
		done func() bool
	}{
		{"rtspsessions", exited(rtspRd)},
		{"rtmpconns", exited(rtmpRd)},
		{"srtconns", exited(srtRd)},
		{"hlssessions", func() bool { return true }}, // HLS holds no connection to end
		{"webrtcsessions", func() bool {
			s := wc.ConnectionState()
			return s == pion.PeerConnectionStateClosed || s == pion.PeerConnectionStateFailed || s == pion.PeerConnectionStateDisconnected
		}},
	}
	for _, k := range kicks {
		id, _ := items[k.kind]["id"].(string)
		start := time.Now()
		a := apiCall(t, d, http.MethodPost, "/v3/"+k.kind+"/kick/"+id, "")
		wantStatus(t, k.kind+" kick", a, http.StatusOK)
		checkSchema(t, k.kind+" kick", "OK", decodeJSON(t, "kick", a.body))
		for apiCall(t, d, http.MethodGet, "/v3/"+k.kind+"/get/"+id, "").status != http.StatusNotFound {
			if time.Since(start) > time.Second {
				t.Errorf("%s: the kicked item is still listed after 1 s", k.kind)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		gone := time.Since(start)
		for !k.done() {
			if time.Since(start) > 15*time.Second {
				t.Errorf("%s: the kicked client did not end within 15 s", k.kind)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s kick: item gone after %v, client ended after %v", k.kind, gone.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		wantStatus(t, k.kind+" kick again", apiCall(t, d, http.MethodPost, "/v3/"+k.kind+"/kick/"+id, ""), http.StatusNotFound)
	}
	wantStatus(t, "rtspconns has no kick", apiCall(t, d, http.MethodPost, "/v3/rtspconns/kick/x", ""), http.StatusNotFound)

	// The kicked user logs in again at once; no failure is counted.
	for _, src := range []string{rtspURL(d, rtspReadUser, rtspReadPass, "cam"), rtmpURLOf(d, "cam?"+rtmpCreds(rtspReadUser, rtspReadPass)),
		srtURL(d, srtID("read", "cam", rtspReadUser, rtspReadPass))} {
		if n, code, out := ffmpegDecode(t, src, 10); code != 0 || n < 10 {
			t.Errorf("reading again after the kick (%s): exit %d, %d frames:\n%s", strings.SplitN(src, ":", 2)[0], code, n, out)
		}
	}
	whepPlay(t, d, "cam", rtspReadUser, rtspReadPass)
	if f, q := failures(t, d); f != failedBefore || q != quarantinedBefore {
		t.Errorf("failed logins %v → %v, quarantined %v → %v across the kicks and new logins; want no change", failedBefore, f, quarantinedBefore, q)
	}
	assertNotLogged(t, d, rtspReadPass, rtspPubPass, rtspAdminPass)
}

func exited(p *peerProc) func() bool {
	return func() bool {
		select {
		case <-p.done:
			return true
		default:
			return false
		}
	}
}

// rtmpURLOf is rtmp://ADDR/pathAndQuery.
func rtmpURLOf(d *testharness.Daemon, pathAndQuery string) string {
	return "rtmp://" + d.Addr("rtmp") + "/" + pathAndQuery
}

// Every v3 endpoint is behind the api permission: 401 without
// credentials (with the Basic challenge), 403 for a user without api.
func TestAPIPermission(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{users: fmt.Sprintf("- {user: %s, pass: %s, permissions: [{action: read}]}\n", apiNoAPIUser, apiNoAPIPass)})
	endpoints := []struct{ method, path, body string }{
		{"GET", "/v3/info", ""}, {"GET", "/v3/paths/list", ""}, {"GET", "/v3/paths/get/cam", ""},
		{"GET", "/v3/config/get", ""},
		{"GET", "/v3/config/global/get", ""}, {"PATCH", "/v3/config/global/patch", "{}"},
		{"GET", "/v3/config/pathdefaults/get", ""}, {"PATCH", "/v3/config/pathdefaults/patch", "{}"},
		{"GET", "/v3/config/paths/list", ""}, {"GET", "/v3/config/paths/get/cam", ""},
		{"POST", "/v3/config/paths/add/x", "{}"}, {"PATCH", "/v3/config/paths/patch/cam", "{}"},
		{"POST", "/v3/config/paths/replace/cam", "{}"}, {"DELETE", "/v3/config/paths/delete/cam", ""},
		{"GET", "/v3/hlsmuxers/list", ""}, {"GET", "/v3/hlsmuxers/get/cam", ""},
		{"POST", "/v3/auth/jwks/refresh", ""}, {"GET", "/v3/cluster/list", ""},
		{"POST", "/v3/cluster/kick", `{"user":"x"}`},
	}
	for _, k := range []string{"rtspconns", "rtspsessions", "rtspsconns", "rtspssessions", "rtmpconns", "rtmpsconns", "srtconns", "webrtcsessions", "hlssessions"} {
		endpoints = append(endpoints, struct{ method, path, body string }{"GET", "/v3/" + k + "/list", ""},
			struct{ method, path, body string }{"GET", "/v3/" + k + "/get/x", ""},
			struct{ method, path, body string }{"POST", "/v3/" + k + "/kick/x", ""})
	}
	for _, e := range endpoints {
		what := e.method + " " + e.path
		a := apiCall(t, d, e.method, e.path, e.body, func(*http.Request) {})
		wantStatus(t, what+" without credentials", a, http.StatusUnauthorized)
		if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s without credentials: no Basic challenge", what)
		}
		wantStatus(t, what+" without api", apiCall(t, d, e.method, e.path, e.body, basicAuth(apiNoAPIUser, apiNoAPIPass)), http.StatusForbidden)
	}
	if a := apiCall(t, d, http.MethodGet, "/v3/config/paths/get/cam", ""); a.status != http.StatusOK {
		t.Errorf("the configuration changed: %d %s", a.status, a.body)
	}
}
