package e2e_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// ffmpeg publishes H.264 + AAC over RTSP with the publisher's credentials;
// a wrong password and a read-only user are refused and publish nothing;
// the API shows the path; ffmpeg reads it back with the reader's
// credentials and a publish-only user cannot read.
func TestRTSPFFmpegPublishAndRead(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{})

	for _, c := range []struct{ name, user, pass, status string }{
		{"wrong password", rtspPubUser, "wrong-password", "401"},
		{"read-only user", rtspReadUser, rtspReadPass, "403"},
	} {
		p := rtspFFmpegPublish(t, rtspURL(d, c.user, c.pass, "cam"), 5, "tcp")
		if code := p.wait(t, 15*time.Second); code == 0 || !strings.Contains(p.tail(2000), "ANNOUNCE failed: "+c.status) {
			t.Errorf("ffmpeg publishing with a %s: exit %d, want a failure (ANNOUNCE answered %s):\n%s", c.name, code, c.status, p.tail(2000))
		}
		if names := rtspPathNames(t, d); len(names) != 0 {
			t.Errorf("after a refused publisher (%s) /v3/paths/list shows %v, want nothing", c.name, names)
		}
	}

	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 15, "tcp")
	p := rtspWaitPath(t, d, "cam", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if !p.Ready || p.Source == nil || p.Source.Type != "rtspSession" || p.Readers != 0 {
		t.Errorf("/v3/paths/list item %+v, want ready, source rtspSession, readerCount 0", p)
	}
	if want := []string{"H264", "MPEG-4 Audio"}; !slices.Equal(p.Tracks, want) {
		t.Errorf("tracks %q, want %q", p.Tracks, want)
	}

	n, code, out := ffmpegDecode(t, rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 25)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading as the reader: exit %d, %d frames decoded, want 0 and > 0:\n%s", code, n, out)
	}
	t.Logf("ffmpeg read back %d video frames", n)

	n, code, out = ffmpegDecode(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 5)
	if code == 0 || n != 0 || !strings.Contains(out, "403") {
		t.Errorf("ffmpeg reading as the publish-only user: exit %d, %d frames, want a failure (403):\n%s", code, n, out)
	}

	// readerCount follows a connected reader.
	r, err := rtspGoRead(rtspURL(d, rtspReadUser, rtspReadPass, "cam"))
	if err != nil {
		t.Fatalf("Go reader: %v", err)
	}
	rtspWaitPath(t, d, "cam", 5*time.Second, func(p rtspAPIPath) bool { return p.Readers == 1 })
	testharness.WaitEvery(t, "the Go reader receives RTP packets", 5*time.Second, 20*time.Millisecond, func() bool { return r.packets.Load() > 0 })
	if got := len(r.desc.Medias); got != 2 {
		t.Errorf("the reader's DESCRIBE shows %d medias, want 2", got)
	}
	r.Close()
	rtspWaitPath(t, d, "cam", 5*time.Second, func(p rtspAPIPath) bool { return p.Readers == 0 })

	// When the publisher leaves, the path goes and its readers are let go.
	r, err = rtspGoRead(rtspURL(d, rtspReadUser, rtspReadPass, "cam"))
	if err != nil {
		t.Fatalf("Go reader: %v", err)
	}
	defer r.Close()
	pub.interrupt()
	pub.wait(t, 10*time.Second)
	rtspWaitGone(t, d, "cam", 5*time.Second)
	ended := make(chan error, 1)
	go func() { ended <- r.c.Wait() }()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Error("a reader was still connected 5 s after the publisher left")
	}
}

// GStreamer's rtspclientsink, a second, independent RTSP implementation,
// publishes with the right credentials and is refused with a wrong one.
func TestRTSPGStreamerPublish(t *testing.T) {
	t.Parallel()
	testharness.RequireGStreamer(t, rtspGstElements...)
	rtspRequireFFmpeg(t)
	d := startRTSPDaemon(t, rtspSetup{paths: "  gst: {}\n"})
	// Through a tap: the end of the good publisher is judged by what the
	// server did (rtsp_gst_eos_test.go).
	tap := startRTSPTap(t, d.Addr("rtsp"))
	gst := func(user, pass string, buffers int) *rtspProc {
		return startPeer(t, "gst-launch-1.0", "-e", "videotestsrc", fmt.Sprintf("num-buffers=%d", buffers), "is-live=true",
			"!", "video/x-raw,width=320,height=240,framerate=25/1",
			"!", "x264enc", "tune=zerolatency", "key-int-max=25", "speed-preset=ultrafast",
			"!", "h264parse",
			"!", "rtspclientsink", "location=rtsp://"+user+":"+pass+"@"+tap.Addr()+"/gst", "protocols=tcp")
	}

	bad := gst(rtspPubUser, "wrong-password", 50)
	if code := bad.wait(t, 15*time.Second); code == 0 {
		t.Error("gst-launch-1.0 publishing with a wrong password exited 0, want a failure")
	}
	if names := rtspPathNames(t, d); len(names) != 0 {
		t.Errorf("after a refused GStreamer publisher /v3/paths/list shows %v", names)
	}

	good := gst(rtspPubUser, rtspPubPass, 750) // at most 30 s: stopped below
	p := rtspWaitPath(t, d, "gst", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	if p.Source == nil || p.Source.Type != "rtspSession" || !slices.Equal(p.Tracks, []string{"H264"}) {
		t.Errorf("/v3/paths/list item %+v, want source rtspSession, tracks [H264]", p)
	}
	n, code, out := ffmpegDecode(t, rtspURL(d, rtspReadUser, rtspReadPass, "gst"), 10)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading GStreamer's stream: exit %d, %d frames:\n%s", code, n, out)
	}
	good.interrupt() // -e: an end of stream, then a clean exit
	gstJudgeEnd(t, "GStreamer publishing with the right credentials", tap, len(tap.Conns())-1, 15*time.Second, good)
	rtspWaitGone(t, d, "gst", 5*time.Second)
}

// RTSP over UDP: rtpAddress/rtcpAddress on free 127.0.0.1 ports; ffmpeg
// publishes and reads with -rtsp_transport udp.
func TestRTSPOverUDP(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	var d *testharness.Daemon
	rtpPort := onUDPPair(t, func(port int) (err error) {
		d, err = tryStartRTSPDaemon(t, rtspSetup{top: fmt.Sprintf("rtspTransports: [udp, tcp]\nrtpAddress: 127.0.0.1:%d\nrtcpAddress: 127.0.0.1:%d\n",
			port, port+1)})
		return err
	})
	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 15, "udp")
	rtspWaitPath(t, d, "cam", 10*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	n, code, out := ffmpegDecode(t, rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 25, "-rtsp_transport", "udp")
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading over UDP: exit %d, %d frames:\n%s", code, n, out)
	}
	t.Logf("ffmpeg read %d video frames over UDP (RTP port %d)", n, rtpPort)
	pub.interrupt()
	pub.wait(t, 10*time.Second)
	rtspWaitGone(t, d, "cam", 5*time.Second)
}

// rtspFreeUDPPair finds an even UDP port P on 127.0.0.1 with P+1 free too
// (RTP and RTCP), and returns P.
func rtspFreeUDPPair(t testing.TB) int {
	t.Helper()
	for range 100 {
		p := 20000 + 2*rand.IntN(20000)
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			continue
		}
		b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + 1})
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return p
	}
	t.Fatal("no free UDP port pair on 127.0.0.1")
	return 0
}

// No path oracle: a client without (valid) credentials, or without the
// read permission, gets the same answer for an unconfigured path, a
// configured idle one and a published one.
func TestRTSPNoPathOracle(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{paths: "  cam: {}\n  idle: {}\n"})
	rtspGoPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
	rtspWaitPath(t, d, "cam", 5*time.Second, nil)
	addr := d.Addr("rtsp")
	basic := func(user, pass string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	for _, c := range []struct {
		name   string
		header []string
		closed bool
	}{
		{"no credentials", nil, false},
		{"wrong password", []string{basic(rtspReadUser, "wrong-password")}, true},
		{"unknown user", []string{basic("nobody", "wrong-password")}, true},
		{"publish-only user", []string{basic(rtspPubUser, rtspPubPass)}, true},
	} {
		var first rtspRawAnswer
		for i, path := range []string{"cam", "idle", "not-configured", "cam/sub"} {
			a := rtspRaw(t, addr, "DESCRIBE", path, append([]string{"Accept: application/sdp"}, c.header...)...)
			if i == 0 {
				first = a
				want := "401"
				if c.name == "publish-only user" {
					want = "403" // known, without the read permission
				}
				if rtspStatusCode(a.status) != want || a.closed != c.closed {
					t.Errorf("%s, DESCRIBE %s: %s, want %s (connection closed: %v)", c.name, path, a, want, c.closed)
				}
				if c.header == nil && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic realm=") {
					t.Errorf("%s, DESCRIBE %s: no Basic challenge: %s", c.name, path, a)
				}
				continue
			}
			if a.String() != first.String() {
				t.Errorf("%s: DESCRIBE %s and cam answer differently:\n%s\n%s", c.name, path, a, first)
			}
		}
	}
	// With the reader's credentials the paths differ, as they should.
	ok := rtspRaw(t, addr, "DESCRIBE", "cam", "Accept: application/sdp", basic(rtspReadUser, rtspReadPass))
	if rtspStatusCode(ok.status) != "200" || !strings.Contains(ok.body, "H264") {
		t.Errorf("DESCRIBE cam as the reader: %s, want 200 with an H264 SDP", ok)
	}
	missing := rtspRaw(t, addr, "DESCRIBE", "not-configured", "Accept: application/sdp", basic(rtspReadUser, rtspReadPass))
	if rtspStatusCode(missing.status) != "404" {
		t.Errorf("DESCRIBE not-configured as the reader: %s, want 404", missing)
	}
}

// rtspAuthMethods [digest] alone: the 401 offers Digest only, and a Digest
// answer of a plain-password user is accepted (TestRTSPDigest covers
// [basic, digest] with ffmpeg).
func TestRTSPAuthMethodsDigestOnly(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{top: "rtspAuthMethods: [digest]\n"})
	a := rtspRaw(t, d.Addr("rtsp"), "DESCRIBE", "cam")
	if ch := a.header.Values("WWW-Authenticate"); len(ch) != 1 || !strings.HasPrefix(ch[0], "Digest ") {
		t.Errorf("challenges %q, want one Digest challenge", ch)
	}
	if got := rtspDigestDescribe(t, d.Addr("rtsp"), "/cam", rtspReadUser, rtspReadPass); !strings.HasPrefix(got, "RTSP/1.0 404") {
		t.Errorf("a Digest answer with the right password: %s, want 404 (authenticated, nothing published)", got)
	}
}
