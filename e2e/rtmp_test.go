package e2e_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// ffmpeg publishes H.264 + AAC over RTMP with ?user=&pass= in the app name;
// a wrong password and a reader are refused and publish nothing; the stream
// is read back over RTMP and over RTSP with the reader's credentials; a
// publish-only user cannot read.
func TestRTMPFFmpegPublishAndRead(t *testing.T) {
	t.Parallel()
	d := startRTMPDaemon(t, "")

	for _, c := range []struct{ name, user, pass, says string }{
		{"wrong password", rtmpPubUser, "wrong-password", "authentication failed"},
		{"reader", rtmpReadUser, rtmpReadPass, "forbidden"},
	} {
		p := rtmpFFmpegPublish(t, rtmpURL(d, "cam?"+rtmpCreds(c.user, c.pass)), 5)
		if code := p.wait(t, 15*time.Second); code == 0 || !strings.Contains(p.tail(2000), c.says) {
			t.Errorf("ffmpeg publishing as %s: exit %d, want a failure saying %q:\n%s", c.name, code, c.says, p.tail(2000))
		}
		if names := rtspPathNames(t, d); len(names) != 0 {
			t.Errorf("after a refused publisher (%s) /v3/paths/list shows %v, want nothing", c.name, names)
		}
	}

	pub := rtmpFFmpegPublish(t, rtmpURL(d, "cam?"+rtmpCreds(rtmpPubUser, rtmpPubPass)), 20)
	p := rtspWaitPath(t, d, "cam", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if !p.Ready || p.Source == nil || p.Source.Type != "rtmpConn" {
		t.Errorf("/v3/paths/list item %+v, want ready, source rtmpConn", p)
	}
	if want := []string{"H264", "MPEG-4 Audio"}; !slices.Equal(p.Tracks, want) {
		t.Errorf("tracks %q, want %q", p.Tracks, want)
	}

	n, code, out := ffmpegDecode(t, rtmpURL(d, "cam?"+rtmpCreds(rtmpReadUser, rtmpReadPass)), 25)
	if code != 0 || n == 0 || !strings.Contains(out, "Audio: aac") || !strings.Contains(out, "320x240") {
		t.Errorf("ffmpeg reading over RTMP as the reader: exit %d, %d frames, want 0, > 0, H.264 320x240 and AAC:\n%s", code, n, out)
	}
	t.Logf("RTMP → RTMP: ffmpeg decoded %d video frames", n)

	n, code, out = ffmpegDecode(t, rtmpURL(d, "cam?"+rtmpCreds(rtmpPubUser, rtmpPubPass)), 5)
	if code == 0 || n != 0 || !strings.Contains(out, "forbidden") {
		t.Errorf("ffmpeg reading as the publish-only user: exit %d, %d frames, want a failure (forbidden):\n%s", code, n, out)
	}

	n, code, out = ffmpegDecode(t, rtspURL(d, rtmpReadUser, rtmpReadPass, "cam"), 25)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading over RTSP as the reader: exit %d, %d frames decoded, want 0 and > 0:\n%s", code, n, out)
	}
	t.Logf("RTMP → RTSP: ffmpeg decoded %d video frames", n)

	pub.interrupt()
	pub.wait(t, 10*time.Second)
	rtspWaitGone(t, d, "cam", 5*time.Second)
	assertNotLogged(t, d, rtmpPubPass, rtmpReadPass)
}

// GStreamer's rtmp2sink publishes as an independent second client (the
// query travels with its stream key); ffmpeg reads it back with the query
// between app and stream key (rtmp://host/live?user=…&pass=…/gst).
func TestRTMPGStreamerPublish(t *testing.T) {
	t.Parallel()
	d := startRTMPDaemon(t, "")
	gst := rtmpGstPublish(t, rtmpURL(d, "live/gst?"+rtmpCreds(rtmpPubUser, rtmpPubPass)), 500)
	p := rtspWaitPath(t, d, "live/gst", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if p.Source == nil || p.Source.Type != "rtmpConn" || !slices.Equal(p.Tracks, []string{"H264"}) {
		t.Errorf("/v3/paths/list item %+v, want source rtmpConn (MediaMTX's type), tracks [H264]", p)
	}
	n, code, out := ffmpegDecode(t, rtmpURL(d, "live?"+rtmpCreds(rtmpReadUser, rtmpReadPass)+"/gst"), 25)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading the GStreamer stream: exit %d, %d frames decoded, want 0 and > 0:\n%s", code, n, out)
	}
	t.Logf("GStreamer → RTMP: ffmpeg decoded %d video frames", n)

	wrong := rtmpGstPublish(t, rtmpURL(d, "live/gst?"+rtmpCreds(rtmpPubUser, "wrong")), 100)
	if code := wrong.wait(t, 15*time.Second); code == 0 {
		t.Errorf("GStreamer publishing with a wrong password exited 0, want a failure")
	}
	gst.interrupt()
}

// A stream published over RTSP (ffmpeg -f rtsp) is read over RTMP: the
// hub's H.264 and AAC units become FLV tags with sequence headers first.
func TestRTMPReadsRTSPPublish(t *testing.T) {
	t.Parallel()
	d := startRTMPDaemon(t, "")
	pub := rtspFFmpegPublish(t, rtspURL(d, rtmpPubUser, rtmpPubPass, "fromrtsp"), 20, "tcp")
	p := rtspWaitPath(t, d, "fromrtsp", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if p.Source == nil || p.Source.Type != "rtspSession" {
		t.Errorf("/v3/paths/list item %+v, want source rtspSession", p)
	}
	n, code, out := ffmpegDecode(t, rtmpURL(d, "fromrtsp?"+rtmpCreds(rtmpReadUser, rtmpReadPass)), 25)
	if code != 0 || n == 0 || !strings.Contains(out, "Audio: aac") {
		t.Errorf("ffmpeg reading over RTMP: exit %d, %d frames, want 0, > 0 and AAC:\n%s", code, n, out)
	}
	t.Logf("RTSP → RTMP: ffmpeg decoded %d video frames", n)
	pub.interrupt()
}

// Without valid credentials an unconfigured path and a configured one get
// the same refusal; ?token= reaches the pipeline as a token (authMethod
// internal refuses it) and is never logged.
func TestRTMPNoPathOracleAndToken(t *testing.T) {
	t.Parallel()
	d := startRTMPDaemon(t, "")
	refusal := func(pathAndQuery string) string {
		t.Helper()
		p := rtmpFFmpegPublish(t, rtmpURL(d, pathAndQuery), 5)
		if code := p.wait(t, 15*time.Second); code == 0 {
			t.Fatalf("publishing to %s succeeded", pathAndQuery)
		}
		for _, l := range strings.Split(p.tail(2000), "\n") {
			if strings.Contains(l, "Server error") {
				return strings.TrimSpace(l[strings.Index(l, "Server error"):])
			}
		}
		t.Fatalf("publishing to %s: no server error in:\n%s", pathAndQuery, p.tail(2000))
		return ""
	}
	for _, q := range []string{"", "?" + rtmpCreds(rtmpPubUser, "wrong"), "?" + rtmpCreds("ghost", "ghost-pass")} {
		if a, b := refusal("cam"+q), refusal("nope"+q); a != b {
			t.Errorf("query %q: configured path answered %q, unconfigured %q", q, a, b)
		}
	}

	const token = "exp=9999999999~acl=%2Fcam~hmac=0123456789abcdef"
	refusal("cam?token=" + token)
	logBarrier(t, d)
	found := false
	for _, e := range d.LogEntriesWhere("auth decision") {
		if e["protocol"] == "rtmp" && e["path"] == "cam" && e["action"] == "publish" && e["granted"] == false &&
			e["user"] == "" && e["reason"] != "no credentials" {
			found = true
		}
	}
	if !found {
		t.Errorf("no refused rtmp decision for the token (credentials presented):\n%v", d.LogEntriesWhere("auth decision"))
	}
	assertNotLogged(t, d, "0123456789abcdef", rtmpPubPass)
}

// With rtmpEncryption strict only RTMPS listens: ffmpeg publishes and reads
// over TLS, and a plain RTMP client gets no session.
func TestRTMPS(t *testing.T) {
	t.Parallel()
	_, certKeys := listenerCert(t, "rtmp")
	d := startRTMPDaemon(t, "rtmpEncryption: strict\n"+certKeys)
	if d.Addr("rtmp") != "" || d.Addr("rtmps") == "" {
		t.Fatalf("rtmp at %q, rtmps at %q: want only rtmps", d.Addr("rtmp"), d.Addr("rtmps"))
	}
	rtmps := func(pathAndQuery string) string { return "rtmps://" + d.Addr("rtmps") + "/" + pathAndQuery }

	plain := rtmpFFmpegPublish(t, "rtmp://"+d.Addr("rtmps")+"/cam?"+rtmpCreds(rtmpPubUser, rtmpPubPass), 3)
	if code := plain.wait(t, 20*time.Second); code == 0 {
		t.Errorf("plain RTMP to the RTMPS listener exited 0")
	}

	pub := rtmpFFmpegPublish(t, rtmps("cam?"+rtmpCreds(rtmpPubUser, rtmpPubPass)), 20)
	rtspWaitPath(t, d, "cam", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	n, code, out := ffmpegDecode(t, rtmps("cam?"+rtmpCreds(rtmpReadUser, rtmpReadPass)), 25)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading over RTMPS: exit %d, %d frames decoded, want 0 and > 0:\n%s", code, n, out)
	}
	pub.interrupt()
}
