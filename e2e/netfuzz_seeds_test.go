package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/netfuzz"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/savant/pb"
)

// netfuzzSeedDir holds the network fuzzer's seeds; regress/ holds inputs
// that once broke the daemon, replayed as they are before every run.
const netfuzzSeedDir = "testdata/netfuzz"

// netfuzzMDNSCandidate is the host address of a browser's ICE candidate
// when it hides its address (an mDNS name).
var netfuzzMDNSCandidate = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.local`)

// netfuzzContentLength is an HTTP Content-Length header.
var netfuzzContentLength = regexp.MustCompile(`(?i)\r\nContent-Length: *(\d+)\r\n`)

// netfuzzLoopbackCandidates replaces the mDNS names of the browser's ICE
// candidates with 127.0.0.1 (correcting Content-Length), so that a
// replayed offer never makes the daemon send mDNS queries off the host.
func netfuzzLoopbackCandidates(chunks [][]byte) {
	for i, c := range chunks {
		n := len(c)
		c = netfuzzMDNSCandidate.ReplaceAll(c, []byte("127.0.0.1"))
		if delta := len(c) - n; delta != 0 {
			if m := netfuzzContentLength.FindSubmatchIndex(c); m != nil {
				old, _ := strconv.Atoi(string(c[m[2]:m[3]]))
				c = slices.Concat(c[:m[2]], []byte(strconv.Itoa(old+delta)), c[m[3]:])
			}
		}
		chunks[i] = c
	}
}

// netfuzzCapture is one real client session recorded as seeds.
type netfuzzCapture struct {
	name     string // PROTO-CLIENT-WHAT
	listener string
	run      func(t *testing.T, addr string)
}

// TestNetworkFuzzSeeds re-records the network fuzzer's seeds (with
// -netfuzz.update; skipped otherwise): each real client (ffmpeg, GStreamer,
// Chromium, curl, a Go gateway client) talks to a daemon through a
// recording proxy, as the fuzzer's test user, and what it sent is written
// to testdata/netfuzz/NAME.nfz (NAME-2… for its further connections).
//
//	go test -run '^TestNetworkFuzzSeeds$' ./e2e/ -netfuzz.update
func TestNetworkFuzzSeeds(t *testing.T) {
	if !*netfuzzUpdate {
		t.Skip("re-records the seeds only with -netfuzz.update")
	}
	d := startNetfuzzDaemon(t)
	src := "fuzz/src"
	pub := netfuzzFFmpegPublish(t, "rtsp", rtspURL(d, netfuzzUser, netfuzzPass, src), 120)
	t.Cleanup(func() { pub.stop(t) })
	rtspWaitPath(t, d, src, 15*time.Second, func(p rtspAPIPath) bool { return p.Ready })
	hlsPlaylist := "/" + src + "/index.m3u8"
	waitStatus(t, "HLS playlist", 20*time.Second, http.StatusOK,
		func() answer { return get(t, d.URL("hls", hlsPlaylist), basicAuth(netfuzzUser, netfuzzPass)) })

	creds := url.UserPassword(netfuzzUser, netfuzzPass).String()
	rtmpQuery := "?" + rtmpCreds(netfuzzUser, netfuzzPass)
	srtStream := func(addr, action, path string) string {
		return "srt://" + addr + "?streamid=" + srtID(action, path, netfuzzUser, netfuzzPass) + "&pkt_size=1316"
	}
	decode := func(t *testing.T, src string, frames int) {
		if n, code, out := ffmpegDecode(t, src, frames); n == 0 {
			t.Errorf("ffmpeg reading %s: exit %d, no frame:\n%s", src, code, out)
		}
	}
	captures := []netfuzzCapture{
		{"rtsp-ffmpeg-publish", "rtsp", func(t *testing.T, addr string) {
			netfuzzFFmpegPublish(t, "rtsp", "rtsp://"+creds+"@"+addr+"/fuzz/rtsp", 1).wait(t, 15*time.Second)
		}},
		{"rtsp-ffmpeg-read", "rtsp", func(t *testing.T, addr string) {
			decode(t, "rtsp://"+creds+"@"+addr+"/"+src, 10)
		}},
		{"rtsp-gstreamer-publish", "rtsp", func(t *testing.T, addr string) {
			testharness.RequireGStreamer(t, rtspGstElements...)
			startPeer(t, "gst-launch-1.0", "-e", "videotestsrc", "num-buffers=20", "is-live=true",
				"!", "video/x-raw,width=160,height=120,framerate=25/1",
				"!", "x264enc", "tune=zerolatency", "key-int-max=10", "speed-preset=ultrafast",
				"!", "h264parse", "!", "rtspclientsink", "location=rtsp://"+creds+"@"+addr+"/fuzz/gst", "protocols=tcp").wait(t, 20*time.Second)
		}},
		{"rtmp-ffmpeg-publish", "rtmp", func(t *testing.T, addr string) {
			netfuzzFFmpegPublish(t, "flv", "rtmp://"+addr+"/fuzz/rtmp"+rtmpQuery, 3).wait(t, 15*time.Second)
		}},
		{"rtmp-ffmpeg-read", "rtmp", func(t *testing.T, addr string) {
			decode(t, "rtmp://"+addr+"/"+src+rtmpQuery, 10)
		}},
		{"rtmp-gstreamer-publish", "rtmp", func(t *testing.T, addr string) {
			testharness.RequireGStreamer(t, rtmpGstElements...)
			// gortmplib reads about two seconds to find the tracks.
			startPeer(t, "gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "num-buffers=75", "!",
				"video/x-raw,format=I420,width=160,height=120,framerate=25/1", "!",
				"x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=10", "bitrate=40", "!",
				"h264parse", "!", "flvmux", "streamable=true", "!",
				"rtmp2sink", "location=rtmp://"+addr+"/fuzz/gst2"+rtmpQuery).wait(t, 20*time.Second)
		}},
		{"srt-ffmpeg-publish", "srt", func(t *testing.T, addr string) {
			netfuzzFFmpegPublish(t, "mpegts", srtStream(addr, "publish", "fuzz/srt"), 1).wait(t, 15*time.Second)
		}},
		{"srt-ffmpeg-read", "srt", func(t *testing.T, addr string) {
			decode(t, srtStream(addr, "read", src), 10)
		}},
		{"srt-gstreamer-publish", "srt", func(t *testing.T, addr string) {
			srtRequireGStreamer(t)
			startPeer(t, "gst-launch-1.0", "-q", "-e",
				"videotestsrc", "is-live=true", "num-buffers=20", "!",
				"video/x-raw,format=I420,width=160,height=120,framerate=25/1", "!",
				"x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=10", "!", "h264parse", "!",
				"mpegtsmux", "alignment=7", "!",
				"srtsink", "uri=srt://"+addr, "streamid="+srtID("publish", "fuzz/gst3", netfuzzUser, netfuzzPass)).wait(t, 20*time.Second)
		}},
		{"hls-ffmpeg-read", "hls", func(t *testing.T, addr string) {
			decode(t, "http://"+creds+"@"+addr+hlsPlaylist, 5)
		}},
		{"webrtc-chromium-whep", "webrtc", func(t *testing.T, addr string) {
			testharness.RequireChromium(t)
			r := testharness.Play(t, testharness.PlayOptions{URL: "http://" + addr + "/" + src + "/",
				User: netfuzzUser, Pass: netfuzzPass, Want: 0.5, Timeout: 20 * time.Second})
			t.Logf("Chromium: played %v, status %d, %s", r.Played, r.Status, r.Error)
		}},
		{"api-curl", "api", func(t *testing.T, addr string) {
			testharness.RequirePeer(t, "curl", "curl")
			out, err := exec.Command("curl", "-sS", "-u", netfuzzUser+":"+netfuzzPass,
				"http://"+addr+"/v3/paths/list", "http://"+addr+"/health", "http://"+addr+"/v3/config/get").CombinedOutput()
			if err != nil {
				t.Errorf("curl: %v\n%s", err, out)
			}
		}},
		{"gateway-go-media", "gateway", func(t *testing.T, addr string) {
			c := newClient(1)
			defer c.CloseIdleConnections()
			for i, msg := range []*pb.Message{videoFrame("fuzz-cam", 1, "cam"), endOfStream("fuzz-cam", 2, "cam")} {
				mb := composeMedia(t, msg, "fuzz-cam", annexB())
				a, err := tryPost(c, "http://"+addr+"/", "application/protobuf", mb.body, basicAuth(netfuzzUser, netfuzzPass))
				if err != nil || a.status != http.StatusOK {
					t.Errorf("gateway POST %d: %v %d %q", i, err, a.status, a.body)
				}
			}
		}},
	}
	if err := os.MkdirAll(netfuzzSeedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			var rec *netfuzz.Recorder
			var err error
			if netfuzz.Protocols[c.listener] == netfuzz.UDP {
				rec, err = netfuzz.RecordUDP(d.Addr(c.listener))
			} else {
				rec, err = netfuzz.RecordTCP(d.Addr(c.listener))
			}
			if err != nil {
				t.Fatal(err)
			}
			c.run(t, rec.Addr())
			// Let the last bytes (teardown, shutdown packets) through.
			time.Sleep(500 * time.Millisecond)
			rec.Close()
			n := 0
			for i, chunks := range rec.Sessions() {
				if len(chunks) == 0 || n == 3 {
					continue
				}
				n++
				name := c.name
				if n > 1 {
					name = fmt.Sprintf("%s-%d", c.name, n)
				}
				s := netfuzz.Seed{Name: name, Proto: c.listener, Chunks: chunks}
				netfuzzLoopbackCandidates(s.Chunks)
				if err := s.Save(netfuzzSeedDir); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: session %d: %d chunks, %d bytes", filepath.Join(netfuzzSeedDir, name+netfuzz.Ext), i, len(chunks), s.Size())
			}
			if n == 0 {
				t.Errorf("%s: nothing recorded", c.name)
			}
		})
	}
}
