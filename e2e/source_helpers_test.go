package e2e_test

// Helpers of the pulled-source tests: the edge daemon that pulls, the
// upstream servers it pulls from (a second streamgate as an RTSP camera,
// ffmpeg as an RTMP, SRT, UDP or HLS origin) and ports for ffmpeg.

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The camera's reading user: its password is the upstream secret no
// output of the edge may show.
const (
	srcCamUser, srcCamPass = "camreader", "Upstream-S3cret-pw"
)

// startEdge runs the edge: RTSP, RTMP and SRT listeners, the API and
// metrics, debug logging, the users of the RTSP tests (viewer reads, pub
// publishes the warmup path), and paths (indented by two spaces).
func startEdge(t testing.TB, top, paths string) *testharness.Daemon {
	t.Helper()
	return startRTSPDaemon(t, rtspSetup{
		top:   "logLevel: debug\nrtmp: yes\nsrt: yes\nreadTimeout: 3s\n" + top,
		paths: paths + "  warmup: {}\n",
	})
}

// startCamera runs a second streamgate as an RTSP camera that asks its
// readers for credentials (authMethod basic or digest) and has ffmpeg
// publish the test source to its path live for 120 s.
func startCamera(t *testing.T, authMethod string) (cam *testharness.Daemon, pub *peerProc) {
	t.Helper()
	return startCameraWith(t, authMethod, "")
}

// startCameraWith is startCamera with more top-level keys.
func startCameraWith(t *testing.T, authMethod, top string) (cam *testharness.Daemon, pub *peerProc) {
	t.Helper()
	cam = startRTSPDaemon(t, rtspSetup{
		top:   "rtspAuthMethods: [" + authMethod + "]\n" + top,
		users: fmt.Sprintf("- {user: %s, pass: %s, permissions: [{action: read}]}\n", srcCamUser, srcCamPass),
		paths: "  live: {}\n",
	})
	pub = cameraPublish(t, cam)
	return cam, pub
}

// cameraPublish has ffmpeg publish to the camera's path live and waits
// until the camera lists it.
func cameraPublish(t *testing.T, cam *testharness.Daemon) *peerProc {
	t.Helper()
	pub := rtspFFmpegPublish(t, rtspURL(cam, rtspPubUser, rtspPubPass, "live"), 120, "tcp")
	rtspWaitPath(t, cam, "live", 20*time.Second, nil)
	return pub
}

// cameraURL is the source URL of the camera's path live with the reading
// user's credentials.
func cameraURL(cam *testharness.Daemon) string {
	return rtspURL(cam, srcCamUser, srcCamPass, "live")
}

// cameraReaders is the camera's reader count of live (0 when not listed).
func cameraReaders(t testing.TB, cam *testharness.Daemon) int {
	for _, p := range rtspPaths(t, cam) {
		if p.Name == "live" {
			return p.Readers
		}
	}
	return 0
}

// freePort returns a network ("tcp" or "udp") port that was free on
// 127.0.0.1 a moment ago, for a peer that must be told its port.
func freePort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		return testharness.FreeUDPPort(t)
	}
	return testharness.FreePort(t)
}

// portTaken reports whether someone has bound port on 127.0.0.1.
func portTaken(network string, port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var err error
	if network == "udp" {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", addr); err == nil {
			pc.Close()
		}
	} else {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			ln.Close()
		}
	}
	return errors.Is(err, syscall.EADDRINUSE)
}

// startListeningFFmpeg starts ffmpeg as a server on a free port (args
// builds all its arguments from the port) and returns once it has bound the
// port; a port taken meanwhile by someone else (ffmpeg exits) is retried
// with another.
func startListeningFFmpeg(t *testing.T, network string, args func(port int) []string) (*peerProc, int) {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	for try := 0; try < 5; try++ {
		port := freePort(t, network)
		p := startPeer(t, "ffmpeg", args(port)...)
		deadline := time.Now().Add(20 * time.Second)
		for !portTaken(network, port) {
			select {
			case <-p.done:
				t.Logf("ffmpeg on port %d exited (%d), trying another port: %s", port, p.code, p.tail(500))
			default:
				if time.Now().After(deadline) {
					t.Fatalf("ffmpeg did not bind %s port %d within 20 s:\n%s", network, port, p.tail(2000))
				}
				time.Sleep(20 * time.Millisecond)
				continue
			}
			break
		}
		if portTaken(network, port) {
			return p, port
		}
	}
	t.Fatal("ffmpeg found no free port in 5 tries")
	return nil, 0
}

// ffmpegSourceArgs are ffmpeg's arguments for the origins but the output:
// the lavfi test source (ffmpegTestSource) encoded as H.264 (a keyframe a
// second) and AAC.
func ffmpegSourceArgs(seconds int) []string {
	return append(ffmpegTestSource("320x240", float64(seconds)),
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k")
}

// readFrames has ffmpeg read n frames from src and fails the test when it
// gets fewer.
func readFrames(t testing.TB, what, src string, n int, inputOpts ...string) {
	t.Helper()
	got, code, out := ffmpegDecode(t, src, n, inputOpts...)
	if got < n {
		t.Fatalf("%s: ffmpeg decoded %d frames (exit %d), want %d:\n%s", what, got, code, n, tail(out, 2000))
	}
}

// readNothing has ffmpeg try to read src with wrong credentials and fails
// the test when it decodes anything.
func readNothing(t testing.TB, what, src string, inputOpts ...string) {
	t.Helper()
	got, code, out := ffmpegDecode(t, src, 5, inputOpts...)
	if got > 0 || code == 0 {
		t.Fatalf("%s: ffmpeg decoded %d frames (exit %d) with wrong credentials, want none:\n%s", what, got, code, tail(out, 2000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitSourceReady waits until the edge lists path as published by a
// pulled source of type typ (rtspSource, …).
func waitSourceReady(t testing.TB, d *testharness.Daemon, path, typ string, timeout time.Duration) {
	t.Helper()
	rtspWaitPath(t, d, path, timeout, func(p rtspAPIPath) bool {
		return p.Source != nil && p.Source.Type == typ && strings.HasSuffix(typ, "Source")
	})
}
