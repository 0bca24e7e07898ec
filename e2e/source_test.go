package e2e_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// A camera that asks for Basic or Digest credentials (a second streamgate)
// is pulled by the edge with the credentials of its source URL and read
// over RTSP by ffmpeg with the edge's credentials; wrong credentials read
// nothing. The upstream password shows nowhere: the debug log,
// /v3/config/get, /v3/paths/list, the metrics, `streamgate check`.
func TestSourceRTSPCamera(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"basic", "digest"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			cam, _ := startCamera(t, method)
			d := startEdge(t, "", "  cam:\n    source: "+cameraURL(cam)+"\n    rtspTransport: tcp\n")
			waitSourceReady(t, d, "cam", "rtspSource", 20*time.Second)
			readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
			readNothing(t, "RTSP reader, wrong password", rtspURL(d, rtspReadUser, "wrong", "cam"))
			if method == "digest" {
				assertSourceSecretHidden(t, d, "rtspSource", srcCamPass)
			}
		})
	}
}

// assertSourceSecretHidden greps every output of the edge for the upstream
// password: its log (debug level), the API's config and paths (which list
// the source as sourceType), the metrics, and `streamgate check` on its
// config and on a broken one.
func assertSourceSecretHidden(t *testing.T, d *testharness.Daemon, sourceType, secret string) {
	t.Helper()
	logBarrier(t, d)
	assertNotLogged(t, d, secret)
	for _, p := range []string{"/v3/config/get", "/v3/paths/list"} {
		a := get(t, d.URL("api", p), basicAuth(rtspAdminUser, rtspAdminPass))
		wantStatus(t, p, a, http.StatusOK)
		if strings.Contains(a.body, secret) {
			t.Errorf("%s shows the upstream password: %s", p, a.body)
		}
		if p == "/v3/paths/list" && !strings.Contains(a.body, sourceType) {
			t.Errorf("%s does not show the pulled source: %s", p, a.body)
		}
	}
	if m := d.MetricsText(t); strings.Contains(m, secret) {
		t.Error("the metrics show the upstream password")
	} else if !strings.Contains(m, "streamgate_source_errors_total") {
		t.Error("no streamgate_source_errors_total in the metrics")
	}
	out, errOut, code := testharness.RunCLI(t, "", "check", d.ConfigPath)
	if code != 0 || strings.Contains(out+errOut, secret) {
		t.Errorf("check of the edge's config: exit %d, output shows the password or fails:\n%s%s", code, out, errOut)
	}
	conf := "paths:\n  cam:\n    source: udp://" + srcCamUser + ":" + secret + "@127.0.0.1\n  other:\n    source: rtsp://u:" + secret + "@127.0.0.1/x\n    rtspRangeType: npt\n    rtspRangeStart: soon\n"
	bad := testharness.TempFile(t, "bad.yml", conf)
	out, errOut, code = testharness.RunCLI(t, "", "check", bad)
	if code == 0 || strings.Contains(out+errOut, secret) || !strings.Contains(errOut+out, "paths.cam.source") {
		t.Errorf("check of a broken source: exit %d, want an error naming paths.cam.source without the password:\n%s%s", code, out, errOut)
	}
}

// ffmpeg serving RTMP (-listen 1) is pulled and read over RTMP and RTSP
// with credentials; wrong ones read nothing.
func TestSourceRTMPOrigin(t *testing.T) {
	t.Parallel()
	_, port := startListeningFFmpeg(t, "tcp", func(port int) []string {
		return append(ffmpegSourceArgs(120), "-f", "flv", "-listen", "1", fmt.Sprintf("rtmp://127.0.0.1:%d/live/origin", port))
	})
	d := startEdge(t, "", fmt.Sprintf("  cam:\n    source: rtmp://127.0.0.1:%d/live/origin\n", port))
	waitSourceReady(t, d, "cam", "rtmpSource", 20*time.Second)
	readFrames(t, "RTMP reader", rtmpURL(d, "cam?"+rtmpCreds(rtspReadUser, rtspReadPass)), 10)
	readNothing(t, "RTMP reader, wrong password", rtmpURL(d, "cam?"+rtmpCreds(rtspReadUser, "wrong")))
	readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
}

// A second streamgate serving RTMPS only is pulled over rtmps:// with
// sourceFingerprint pinning its certificate (signed by no known CA) and
// credentials in the query; with a wrong pin nothing is read. The TLS is
// the edge's dialer's, under the message guard of rtmp.GuardUpstream.
func TestSourceRTMPSOrigin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := testharness.NewCA(t, dir, "origin-ca").IssueServer(t, dir, "origin")
	cam, _ := startCameraWith(t, "basic", fmt.Sprintf("rtmp: yes\nrtmpEncryption: strict\nrtmpServerCert: %s\nrtmpServerKey: %s\n", cert, key))
	src := fmt.Sprintf("rtmps://%s/live?%s", cam.Addr("rtmps"), rtmpCreds(srcCamUser, srcCamPass))
	pin := testharness.CertFingerprint(t, cert)
	wrong := strings.Repeat("0", len(pin))
	d := startEdge(t, "", fmt.Sprintf("  cam:\n    source: %s\n    sourceFingerprint: %s\n  pinned-wrong:\n    source: %s\n    sourceFingerprint: %s\n", src, pin, src, wrong))
	waitSourceReady(t, d, "cam", "rtmpSource", 20*time.Second)
	readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
	readNothing(t, "RTSP reader of the wrongly pinned source", rtspURL(d, rtspReadUser, rtspReadPass, "pinned-wrong"))
	// Nothing read because the pin refused the certificate, not for any
	// other reason.
	if !d.WaitLog("does not match sourceFingerprint", 20*time.Second) {
		t.Error("the wrongly pinned source did not fail on its fingerprint")
	}
	assertSourceSecretHidden(t, d, "rtmpSource", srcCamPass)
}

// ffmpeg as an SRT listener with a passphrase is called by the edge
// (streamid and passphrase from the source URL) and read over SRT and RTSP.
func TestSourceSRTListener(t *testing.T) {
	t.Parallel()
	const passphrase = "srt-Upstream-Phrase1"
	_, port := startListeningFFmpeg(t, "udp", func(port int) []string {
		return append(ffmpegSourceArgs(120), "-f", "mpegts",
			fmt.Sprintf("srt://127.0.0.1:%d?mode=listener&pkt_size=1316&passphrase=%s", port, passphrase))
	})
	d := startEdge(t, "", fmt.Sprintf("  cam:\n    source: srt://127.0.0.1:%d?streamid=origin&passphrase=%s\n", port, passphrase))
	waitSourceReady(t, d, "cam", "srtSource", 20*time.Second)
	readFrames(t, "SRT reader", srtEdgeURL(d, srtID("read", "cam", rtspReadUser, rtspReadPass)), 10)
	readNothing(t, "SRT reader, wrong password", srtEdgeURL(d, srtID("read", "cam", rtspReadUser, "wrong")))
	readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
	logBarrier(t, d)
	assertNotLogged(t, d, passphrase)
}

func srtEdgeURL(d *testharness.Daemon, streamID string) string {
	return "srt://" + d.Addr("srt") + "?streamid=" + streamID + "&pkt_size=1316"
}

// An HLS origin (ffmpeg's HLS muxer, MPEG-TS or fMP4 segments, into a
// directory served by a plain HTTP server) is pulled with gohlslib and read
// over RTSP.
func TestSourceHLSOrigin(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	for _, segments := range []string{"mpegts", "fmp4"} {
		t.Run(segments, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			startPeer(t, "ffmpeg", append(ffmpegSourceArgs(120), "-f", "hls", "-hls_segment_type", segments,
				"-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments", filepath.Join(dir, "index.m3u8"))...)
			srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
			t.Cleanup(srv.Close)
			deadline := time.Now().Add(20 * time.Second)
			for {
				if b, err := os.ReadFile(filepath.Join(dir, "index.m3u8")); err == nil && strings.Count(string(b), "#EXTINF") >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("ffmpeg wrote no HLS playlist with 3 segments within 20 s")
				}
				time.Sleep(100 * time.Millisecond)
			}
			d := startEdge(t, "hls: yes\n", "  cam:\n    source: "+srv.URL+"/index.m3u8\n")
			waitSourceReady(t, d, "cam", "hlsSource", 20*time.Second)
			readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
			if segments == "fmp4" {
				// ffmpeg's init segment and fragments passed the fMP4
				// depth guard (mp4guard.go).
				return
			}
			readNothing(t, "RTSP reader, wrong password", rtspURL(d, rtspReadUser, "wrong", "cam"))
			readFrames(t, "HLS reader", hlsURL(d, "cam/index.m3u8"), 10,
				"-headers", "Authorization: "+basicHeader(rtspReadUser, rtspReadPass)+"\r\n")
			readNothing(t, "HLS reader, wrong password", hlsURL(d, "cam/index.m3u8"),
				"-headers", "Authorization: "+basicHeader(rtspReadUser, "wrong")+"\r\n")
		})
	}
}

// MPEG-TS over UDP from ffmpeg to the edge's udp+mpegts:// source is read
// over RTSP with credentials; wrong ones read nothing.
func TestSourceUDPMPEGTS(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	port := freePort(t, "udp")
	d := startEdge(t, "", fmt.Sprintf("  cam:\n    source: udp+mpegts://127.0.0.1:%d\n", port))
	startPeer(t, "ffmpeg", append(ffmpegSourceArgs(120),
		"-f", "mpegts", fmt.Sprintf("udp://127.0.0.1:%d?pkt_size=1316", port))...)
	waitSourceReady(t, d, "cam", "udpSource", 20*time.Second)
	readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
	readNothing(t, "RTSP reader, wrong password", rtspURL(d, rtspReadUser, "wrong", "cam"))
}

// A pulled H.264 source reaches the Savant output as VideoFrames, and an
// EndOfStream once the source is lost.
func TestSourceSavant(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	ep := testharness.IPCEndpoint(t, "src")
	port := freePort(t, "udp")
	d := startEdge(t, "savant:\n  url: pub+bind:"+ep+"\n", fmt.Sprintf("  cam:\n    source: udp+mpegts://127.0.0.1:%d\n", port))
	r := rtspSavantSubscriber(t, d, ep)
	startPeer(t, "ffmpeg", append(ffmpegSourceArgs(3),
		"-f", "mpegts", fmt.Sprintf("udp://127.0.0.1:%d?pkt_size=1316", port))...)
	// ffmpeg stops after 3 s: the source goes silent, is dropped after
	// readTimeout (3 s) and its publication ends.
	msgs := rtspWaitEndOfStream(t, r, "cam", 30*time.Second)
	frames := 0
	for _, m := range msgs {
		if m.Content == "video_frame" {
			frames++
		}
	}
	if frames < 25 {
		t.Fatalf("%d VideoFrames of the pulled source before its EndOfStream, want about 75", frames)
	}
}

// An on-demand source does not connect until the first authenticated
// reader: an unauthenticated one does not wake the camera. It is closed
// after the last reader plus sourceOnDemandCloseAfter.
func TestSourceOnDemand(t *testing.T) {
	t.Parallel()
	cam, _ := startCamera(t, "basic")
	d := startEdge(t, "", "  cam:\n    source: "+cameraURL(cam)+"\n    rtspTransport: tcp\n    sourceOnDemand: yes\n"+
		"    sourceOnDemandStartTimeout: 15s\n    sourceOnDemandCloseAfter: 1s\n")
	readNothing(t, "RTSP reader, wrong password", rtspURL(d, rtspReadUser, "wrong", "cam"))
	readNothing(t, "RTSP reader, no credentials", rtspURL(d, "", "", "cam"))
	logBarrier(t, d) // every line logged so far has been read
	if n := len(d.LogEntriesWhere("on-demand start")); n != 0 || cameraReaders(t, cam) != 0 {
		t.Fatalf("unauthenticated readers woke the source (%d on-demand starts logged)", n)
	}
	readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
	// The negatives, after the positive: the unauthenticated readers woke
	// nothing (one start only, from the authenticated reader).
	if n := len(d.LogEntriesWhere("on-demand start")); n != 1 {
		t.Fatalf("%d on-demand starts, want 1 (the authenticated reader's)", n)
	}
	// The reader left: the camera's reader goes 1 s later.
	deadline := time.Now().Add(15 * time.Second)
	for cameraReaders(t, cam) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the camera still has the edge as a reader 15 s after the last edge reader left")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !d.WaitLog("on-demand stop", 5*time.Second) {
		t.Fatal("no on-demand stop logged")
	}
}

// The camera's publisher stops and starts again: the edge reconnects
// (backoff ≤ 2 s) and the stream is published again within 5 s of the
// camera having it; RTSP readers (their session ended with the source's
// publication, as MediaMTX closes a path's readers when its source fails)
// and HLS readers (the path's muxer ended with it and starts again) read it
// again.
func TestSourceCameraRestart(t *testing.T) {
	t.Parallel()
	cam, pub := startCamera(t, "digest")
	d := startEdge(t, "hls: yes\n", "  cam:\n    source: "+cameraURL(cam)+"\n    rtspTransport: tcp\n")
	waitSourceReady(t, d, "cam", "rtspSource", 20*time.Second)
	hlsAuth := []string{"-headers", "Authorization: " + basicHeader(rtspReadUser, rtspReadPass) + "\r\n"}
	readFrames(t, "HLS reader before the restart", hlsURL(d, "cam/index.m3u8"), 10, hlsAuth...)
	pub.kill()
	rtspWaitGone(t, d, "cam", 20*time.Second)
	cameraPublish(t, cam)
	waitSourceReady(t, d, "cam", "rtspSource", 5*time.Second)
	readFrames(t, "RTSP reader after the restart", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
	readFrames(t, "HLS reader after the restart", hlsURL(d, "cam/index.m3u8"), 10, hlsAuth...)
	if m := d.MetricsText(t); !strings.Contains(m, `streamgate_source_errors_total{kind="rtsp"}`) {
		t.Error("no rtsp source error counted")
	} else if v := metricLine(m, `streamgate_source_errors_total{kind="rtsp"}`); v < 1 {
		t.Errorf("streamgate_source_errors_total{kind=rtsp} = %v, want ≥ 1", v)
	}
}

// metricLine is the value of a metric line of the text format, or -1.
func metricLine(text, name string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// source: redirect answers an authorized RTSP DESCRIBE with 301 to
// sourceRedirect; an unauthorized one gets 401, not the address.
func TestSourceRedirect(t *testing.T) {
	t.Parallel()
	const target = "rtsp://127.0.0.1:9/elsewhere"
	d := startEdge(t, "", "  moved:\n    source: redirect\n    sourceRedirect: "+target+"\n")
	describe := func(auth string) string {
		c, err := net.Dial("tcp", d.Addr("rtsp"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		req := "DESCRIBE rtsp://" + d.Addr("rtsp") + "/moved RTSP/1.0\r\nCSeq: 1\r\n"
		if auth != "" {
			req += "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(auth)) + "\r\n"
		}
		if _, err := io.WriteString(c, req+"\r\n"); err != nil {
			t.Fatal(err)
		}
		br, res := bufio.NewReader(c), ""
		for { // the status line and headers, up to the empty line
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("%v after %q", err, res)
			}
			res += line
			if line == "\r\n" {
				return res
			}
		}
	}
	if res := describe(rtspReadUser + ":" + rtspReadPass); !strings.HasPrefix(res, "RTSP/1.0 301") || !strings.Contains(res, "Location: "+target) {
		t.Fatalf("authorized DESCRIBE: %q, want 301 to %s", res, target)
	}
	if res := describe(""); !strings.HasPrefix(res, "RTSP/1.0 401") || strings.Contains(res, target) {
		t.Fatalf("DESCRIBE without credentials: %q, want 401 without the target", res)
	}
}

// A WHEP server (a second streamgate's WebRTC listener, asking for
// credentials) is pulled over whep:// and read over RTSP.
func TestSourceWHEP(t *testing.T) {
	t.Parallel()
	cam, _ := startCameraWith(t, "basic", "webrtc: yes\n")
	src := "whep://" + srcCamUser + ":" + srcCamPass + "@" + cam.Addr("webrtc") + "/live/whep"
	d := startEdge(t, "", "  cam:\n    source: "+src+"\n")
	waitSourceReady(t, d, "cam", "whepSource", 20*time.Second)
	readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 10)
	logBarrier(t, d)
	assertNotLogged(t, d, srcCamPass)
}

// runOnDemand goes through the same on-demand mechanism: a refused reader
// starts nothing; the first authorized reader starts the command (ffmpeg
// publishing the path back to the edge), waits for its stream and reads
// it; the command is stopped after the last reader plus
// runOnDemandCloseAfter.
func TestSourceRunOnDemand(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	queryFile := filepath.Join(t.TempDir(), "query")
	cmd := "sh -c 'echo $MTX_QUERY > " + queryFile + "; exec ffmpeg -hide_banner -nostdin -loglevel error -re " +
		"-f lavfi -i testsrc=size=320x240:rate=25 -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p " +
		"-f rtsp -rtsp_transport tcp rtsp://" + rtspPubUser + ":" + rtspPubPass + "@127.0.0.1:$RTSP_PORT/$MTX_PATH'"
	d := startEdge(t, "", "  ~^dyn.*:\n    runOnDemand: >-\n      "+cmd+"\n    runOnDemandCloseAfter: 1s\n    runOnDemandStartTimeout: 15s\n")
	readNothing(t, "RTSP reader, wrong password", rtspURL(d, rtspReadUser, "wrong", "dyn1"))
	logBarrier(t, d)
	if n := len(d.LogEntriesWhere("on-demand start")); n != 0 {
		t.Fatalf("a refused reader started runOnDemand (%d starts)", n)
	}
	readFrames(t, "RTSP reader", rtspURL(d, rtspReadUser, rtspReadPass, "dyn1")+"?cam=front&pass=x", 10)
	if b, err := os.ReadFile(queryFile); err != nil || strings.TrimSpace(string(b)) != "cam%3Dfront" {
		t.Errorf("MTX_QUERY of the first reader: %q, %v; want cam%%3Dfront (its pass filtered out)", b, err)
	}
	if !d.WaitLog("on-demand stop", 20*time.Second) {
		t.Fatal("runOnDemand not stopped after its last reader")
	}
	rtspWaitGone(t, d, "dyn1", 15*time.Second)
}
