package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// startRTSPSDaemon runs RTSP with rtspEncryption encryption, a server
// certificate from a test CA, the users pub, viewer and admin of
// startRTSPDaemon, and paths (entries indented by two spaces).
func startRTSPSDaemon(t *testing.T, encryption, paths string) (*testharness.Daemon, *testharness.CA) {
	t.Helper()
	ca, certKeys := listenerCert(t, "rtsp")
	return testharness.Start(t, fmt.Sprintf(`
rtsp: yes
rtspEncryption: %s
rtspTransports: [tcp]
%s%spaths:
%s`, encryption, certKeys, listenerUsers(rtspPubUser, rtspPubPass, rtspReadUser, rtspReadPass, rtspAdminUser, rtspAdminPass, "api"), paths)), ca
}

// With rtspEncryption strict only RTSPS listens: ffmpeg publishes over TLS,
// ffmpeg decodes what it reads over TLS, a Go client that verifies the
// server's certificate reads, a wrong password gets 401, and a plain RTSP
// client gets nothing.
//
// ffmpeg's reads used to decode nothing: a TLS server stream keeps room for
// SRTP in every packet, so ffmpeg's full-size (1 472-byte) packets — every
// fragment of a keyframe — were dropped and only the small frames arrived.
func TestRTSPS(t *testing.T) {
	t.Parallel()
	d, ca := startRTSPSDaemon(t, "strict", "  cam: {}\n")
	if d.Addr("rtsps") == "" || d.Addr("rtsp") != "" {
		t.Fatalf("rtsp at %q, rtsps at %q: want only rtsps:\n%s", d.Addr("rtsp"), d.Addr("rtsps"), d.Logs())
	}
	rtsps := func(user, pass string) string {
		return "rtsps://" + user + ":" + pass + "@" + d.Addr("rtsps") + "/cam"
	}
	if err := rtspDescribe("rtsp://" + rtspReadUser + ":" + rtspReadPass + "@" + d.Addr("rtsps") + "/cam"); err == nil {
		t.Error("plain RTSP to the RTSPS listener succeeded")
	}
	pub := startPeer(t, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "20",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
		"-f", "rtsp", "-rtsp_transport", "tcp", rtsps(rtspPubUser, rtspPubPass))
	defer pub.stop(t)
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if n, code, out := ffmpegDecode(t, rtsps(rtspReadUser, rtspReadPass), 30, "-rtsp_transport", "tcp"); n < 30 {
		t.Errorf("ffmpeg decoded %d frames over RTSPS (exit %d), want 30:\n%s", n, code, out)
	}
	tlsCfg := ca.ClientTLS(t, "", "")
	tlsCfg.ServerName = "127.0.0.1"
	r, err := rtspGoReadTLS(rtsps(rtspReadUser, rtspReadPass), tlsCfg)
	if err != nil {
		t.Fatalf("Go client reading over RTSPS: %v", err)
	}
	defer r.Close()
	for deadline := time.Now().Add(10 * time.Second); r.packets.Load() < 50; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the Go client read %d RTP packets over RTSPS in 10 s, want 50", r.packets.Load())
		}
	}
	if err := rtspDescribeTLS(rtsps(rtspReadUser, "wrong"), tlsCfg); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("DESCRIBE over RTSPS with a wrong password: %v, want 401", err)
	}
}

// With rtspEncryption optional, RTSP and RTSPS serve the same paths: what
// ffmpeg publishes on one listener, ffmpeg decodes and GStreamer reads on
// the other. (Readers on the other listener used to get no packet at all
// from an RTSP publisher.)
func TestRTSPAndRTSPSShareStreams(t *testing.T) {
	t.Parallel()
	gst := requireGStreamer(t)
	d, _ := startRTSPSDaemon(t, "optional", "  plain: {}\n  tls: {}\n")
	url := func(listener, user, pass, path string) string {
		return listener + "://" + user + ":" + pass + "@" + d.Addr(listener) + "/" + path
	}
	for _, c := range []struct{ pub, read, path string }{{"rtsp", "rtsps", "plain"}, {"rtsps", "rtsp", "tls"}} {
		pub := rtspFFmpegPublish(t, url(c.pub, rtspPubUser, rtspPubPass, c.path), 30, "tcp")
		rtspWaitPath(t, d, c.path, 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
		src := url(c.read, rtspReadUser, rtspReadPass, c.path)
		if n, code, out := ffmpegDecode(t, src, 30, "-rtsp_transport", "tcp"); n < 30 {
			t.Errorf("published over %s, ffmpeg decoded %d frames over %s (exit %d), want 30:\n%s", c.pub, n, c.read, code, out)
		}
		if out, err := runGStreamer(gst, "rtspsrc", "location="+src, "protocols=tcp", "tls-validation-flags=0",
			"!", "rtph264depay", "!", "identity", "eos-after=30", "!", "fakesink"); err != nil {
			t.Errorf("published over %s, GStreamer reading over %s: %v\n%s", c.pub, c.read, err, out)
		}
		pub.stop(t)
	}
}

// HLS over HTTPS (hlsEncryption) with hlsAllowOrigins and
// hlsTrustedProxies: a client that trusts the CA gets the playlist; CORS
// echoes an allowed origin only; a user restricted to an address range is
// let in when a trusted proxy forwards for an address inside it, not when
// an untrusted client claims one.
func TestHLSHTTPSCORSAndProxies(t *testing.T) {
	t.Parallel()
	ca, certKeys := listenerCert(t, "hls")
	d := startRTSPDaemon(t, rtspSetup{
		top: "hls: yes\nhlsEncryption: yes\n" + certKeys +
			"hlsAllowOrigins: ['https://portal.example']\nhlsTrustedProxies: [127.0.0.1]\n",
		users: "- {user: office, pass: office-secret-7, ips: [203.0.113.0/24], permissions: [{action: read}]}\n",
	})
	pub := hlsPublish(t, d, 30)
	defer pub.stop(t)
	client := newClient(2)
	client.Transport = &http.Transport{TLSClientConfig: ca.ClientTLS(t, "", "")}
	playlist := "https://" + d.Addr("hls") + "/cam/index.m3u8"
	waitStatus(t, "HLS over HTTPS", 15*time.Second, http.StatusOK,
		func() answer { return do(t, client, playlist, basicAuth(rtspReadUser, rtspReadPass)) })

	a := do(t, client, playlist, basicAuth(rtspReadUser, rtspReadPass), header("Origin", "https://portal.example"))
	if a.header.Get("Access-Control-Allow-Origin") != "https://portal.example" || a.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("allowed origin: CORS headers %v", a.header)
	}
	a = do(t, client, playlist, basicAuth(rtspReadUser, rtspReadPass), header("Origin", "https://evil.example"))
	if a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin not in hlsAllowOrigins got Access-Control-Allow-Origin %q", a.header.Get("Access-Control-Allow-Origin"))
	}
	a = preflight(t, client, playlist, header("Origin", "https://portal.example"), header("Access-Control-Request-Headers", "authorization"))
	if a.status != http.StatusNoContent || !strings.Contains(strings.ToLower(a.header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("preflight: %d %v, want 204 allowing Authorization", a.status, a.header)
	}

	office := basicAuth("office", "office-secret-7")
	wantStatus(t, "office user, forwarded for 203.0.113.9 by the trusted proxy",
		do(t, client, playlist, office, header("X-Forwarded-For", "203.0.113.9")), http.StatusOK)
	wantChallenge(t, "office user from 127.0.0.1 itself", do(t, client, playlist, office), "streamgate")
}
