package e2e_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// TestPathOrderRegexAfterAllOthers: a ~regex path written after all_others
// still gets its own settings (here its per-path credentials): all_others is
// matched last, whatever the order of the file.
func TestPathOrderRegexAfterAllOthers(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
authInternalUsers: []
rtsp: yes
rtspTransports: [tcp]
paths:
  all_others:
    publishUser: other
    publishPass: other-secret-1
  ~^cams/.+$:
    publishUser: camera
    publishPass: camera-secret-1
`)
	wantRTSPPublish(t, d, "camera", "camera-secret-1", "cams/1", true, "the regex path's credentials")
	wantRTSPPublish(t, d, "other", "other-secret-1", "cams/1", false, "the regex path's credentials apply, not all_others'")
	wantRTSPPublish(t, d, "other", "other-secret-1", "misc", true, "all_others' credentials")
	wantRTSPPublish(t, d, "camera", "camera-secret-1", "misc", false, "all_others' credentials apply, not the regex path's")
}

// pathsBadNames are names no listener may take, as they would be written in
// a URL (percent-encoded bytes are decoded by the RTSP and HTTP listeners).
var pathsBadNames = []string{"cams/../secret", "cams/..", "cams/x%00", "cams/x%01", "cams//x", "cams/x/", "/cams/x", "cams/./x"}

// pathsSDP is the session description of an ANNOUNCE: one H.264 track.
const pathsSDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Stream\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
	"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n"

// pathsRTSPAnnounce sends a hand-written ANNOUNCE of path (as written in
// the URL) with an SDP body and returns the status code of the answer.
func pathsRTSPAnnounce(t testing.TB, addr, path string, header ...string) string {
	t.Helper()
	a := rtspRawBody(t, addr, "ANNOUNCE", path, pathsSDP, append([]string{"Content-Type: application/sdp"}, header...)...)
	return rtspStatusCode(a.status)
}

// TestPathNamesRefusedForPublishing: names with ".." or "." elements, NUL
// and control characters (percent-encoded), empty elements and leading or
// trailing slashes are refused on RTSP (400), RTMP (publish refused) and SRT
// (rejection 1400, bad request), with and without valid credentials — the
// name is checked before authentication — and nothing of them reaches
// Savant.
func TestPathNamesRefusedForPublishing(t *testing.T) {
	t.Parallel()
	ep := testharness.IPCEndpoint(t, "paths")
	d := startRTSPDaemon(t, rtspSetup{
		top:   "rtmp: yes\nsrt: yes\nsavant:\n  url: pub+bind:" + ep + "\n",
		paths: "  all_others: {}\n",
	})
	r := rtspSavantSubscriber(t, d, ep)
	basic := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(rtspPubUser+":"+rtspPubPass))

	t.Run("rtsp", func(t *testing.T) {
		for _, name := range pathsBadNames {
			if got := pathsRTSPAnnounce(t, d.Addr("rtsp"), name); got != "400" {
				t.Errorf("ANNOUNCE %q without credentials: %s, want 400", name, got)
			}
			if got := pathsRTSPAnnounce(t, d.Addr("rtsp"), name, basic); got != "400" {
				t.Errorf("ANNOUNCE %q with valid credentials: %s, want 400", name, got)
			}
			if name == "cams/x/" {
				continue // reading: gortsplib takes a trailing slash as GStreamer's way of writing cams/x
			}
			if a := rtspRaw(t, d.Addr("rtsp"), "DESCRIBE", name, basic); rtspStatusCode(a.status) != "400" {
				t.Errorf("DESCRIBE %q: %s, want 400", name, a.status)
			}
		}
	})
	t.Run("rtmp", func(t *testing.T) {
		for _, name := range []string{"cams/../secret", "cams/..", "cams/x%00", "cams/x%0A", "cams/./x"} {
			for _, query := range []string{"", "?" + rtmpCreds(rtspPubUser, rtspPubPass)} {
				err := rtmpTryPublish(d.Addr("rtmp"), "/"+name+query)
				if err == nil {
					t.Errorf("RTMP publish to %q (query %q) was accepted", name, query)
				} else if !strings.Contains(err.Error(), "invalid path name") {
					t.Errorf("RTMP publish to %q (query %q): %v, want a refusal for the path name", name, query, err)
				}
			}
		}
	})
	t.Run("srt", func(t *testing.T) {
		n := 0
		for _, name := range []string{"cams/../secret", "cams/..", "cams/x\x00y", "cams/x%00", "cams//x", "cams/x/", "/cams/x", "cams/./x"} { // a trailing NUL would be taken as the streamid's padding
			for _, sid := range []string{srtID("publish", name, rtspPubUser, rtspPubPass), "publish:" + name, "#!::m=publish,r=" + name} {
				if err := srtTryDial(d.Addr("srt"), sid); err == nil {
					t.Errorf("SRT publish with streamid %q was accepted", sid)
					continue
				}
				n++
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for d.Metric(t, "streamgate_srt_rejected_total", map[string]string{"code": "1400"}) < float64(n) {
			if time.Now().After(deadline) {
				t.Fatalf("SRT rejections with 1400 (bad request): %v, want %d", d.Metric(t, "streamgate_srt_rejected_total", map[string]string{"code": "1400"}), n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	// Nothing but the warmup path and a valid publication reaches Savant.
	rtspGoPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cams/ok"))
	deadline := time.Now().Add(10 * time.Second)
	for !slices.ContainsFunc(r.Messages(), func(m testharness.SavantMessage) bool { return string(m.Frames[0]) == "cams/ok" }) {
		if time.Now().After(deadline) {
			t.Fatal("no Savant message of cams/ok within 10 s")
		}
		r.Wait(len(r.Messages())+1, time.Until(deadline))
	}
	for _, m := range r.Messages() {
		if topic := string(m.Frames[0]); topic != "warmup" && topic != "cams/ok" {
			t.Errorf("a Savant message of %q reached the reader", topic)
		}
	}
}

// TestPathNamesRefusedForReading: HLS and WebRTC answer 400 to a request
// for a path name no listener may take, before authentication.
func TestPathNamesRefusedForReading(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{top: "hls: yes\nwebrtc: yes\n", paths: "  all_others: {}\n"})
	for _, name := range []string{"cams/../secret", "cams/..", "cams/x%00", "cams/x%01", "cams//x", "cams/./x", "cams/x%3F"} {
		wantStatus(t, "HLS playlist of "+name, get(t, d.URL("hls", "/"+name+"/index.m3u8")), http.StatusBadRequest)
		wantStatus(t, "HLS page of "+name, get(t, d.URL("hls", "/"+name+"/"), basicAuth(rtspReadUser, rtspReadPass)), http.StatusBadRequest)
		wantStatus(t, "WebRTC page of "+name, get(t, d.URL("webrtc", "/"+name+"/")), http.StatusBadRequest)
		req, err := http.NewRequest(http.MethodPost, d.URL("webrtc", "/"+name+"/whep"), strings.NewReader("v=0\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/sdp")
		resp, err := defaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("WHEP POST of %s: %d, want 400", name, resp.StatusCode)
		}
	}
}
