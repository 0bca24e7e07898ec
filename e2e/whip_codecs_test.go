package e2e_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/h265writer"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"

	"github.com/streamgate/streamgate/internal/testharness"
)

// encodeFrames encodes seconds of the lavfi test source with ffmpeg's
// encoder into container and returns the file.
func encodeFrames(t *testing.T, encoder, container string, seconds int, opts ...string) []byte {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	file := filepath.Join(t.TempDir(), "v."+container)
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=320x240:rate=25", "-t", strconv.Itoa(seconds), "-c:v", encoder, "-pix_fmt", "yuv420p", "-g", "25"}
	args = append(append(args, opts...), "-f", container, file)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", encoder, err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// h265AUs encodes seconds of the test source with libx265 (parameter sets
// before every keyframe, as WebRTC encoders send them; an access unit
// delimiter before each unit) and returns its Annex-B access units.
func h265AUs(t *testing.T, seconds int) [][]byte {
	t.Helper()
	b := encodeFrames(t, "libx265", "hevc", seconds, "-preset", "ultrafast",
		"-x265-params", "keyint=25:min-keyint=25:bframes=0:repeat-headers=1:aud=1:log-level=error")
	aus := splitAtAUD(b, []byte{0, 0, 0, 1, 0x46, 0x01}) // NAL type 35
	if len(aus) < 10 {
		t.Fatalf("libx265 gave %d access units", len(aus))
	}
	return aus
}

// splitAtAUD splits an Annex-B stream into access units, each beginning
// with its access unit delimiter aud.
func splitAtAUD(b, aud []byte) [][]byte {
	var aus [][]byte
	for len(b) > 0 {
		next := bytes.Index(b[len(aud):], aud)
		if next < 0 {
			aus = append(aus, b)
			break
		}
		aus = append(aus, b[:len(aud)+next])
		b = b[len(aud)+next:]
	}
	return aus
}

// ivfEncoded encodes seconds of the test source with a VP9 or AV1 encoder
// into IVF and returns its frames (AV1: temporal units).
func ivfEncoded(t *testing.T, encoder string, seconds int, opts ...string) [][]byte {
	t.Helper()
	return ivfSplit(t, encodeFrames(t, encoder, "ivf", seconds, opts...))
}

// whepToIVF reads path over WHEP with a pion client (the reader's
// credentials) and writes the video track's packets into an IVF file
// (VP8, VP9, AV1) or, for H.265, an Annex-B file (pion's h265writer: read
// it with ffmpeg's -f hevc) until frames frames have arrived; it returns
// the file.
func whepToIVF(t *testing.T, d *testharness.Daemon, path string, frames int) string {
	t.Helper()
	pc, err := testharness.NewLoopbackPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	testharness.Receive(t, pc, pion.RTPCodecTypeVideo)
	file := filepath.Join(t.TempDir(), "whep.ivf")
	done := make(chan error, 1)
	var once sync.Once
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		var w interface {
			WriteRTP(*rtp.Packet) error
			Close() error
		}
		var err error
		if mime := tr.Codec().MimeType; mime == pion.MimeTypeH265 {
			w, err = h265writer.New(file)
		} else {
			w, err = ivfwriter.New(file, ivfwriter.WithCodec(mime))
		}
		if err != nil {
			once.Do(func() { done <- err })
			return
		}
		defer w.Close()
		for n := 0; n < frames; {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				once.Do(func() { done <- err })
				return
			}
			if err := w.WriteRTP(pkt); err != nil {
				continue // before the first keyframe's start
			}
			if pkt.Marker {
				n++
			}
		}
		_ = w.Close()
		once.Do(func() { done <- nil })
	})
	testharness.GatheredOffer(t, pc)
	webrtcOffer(t, pc, "WHEP", webrtcURL(d, path+"/whep"), rtspReadUser, rtspReadPass)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("WHEP reader of %s: %v", path, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("WHEP reader of %s: fewer than %d frames within 20 s", path, frames)
	}
	return file
}

// gstDecodeVP9RTSP has GStreamer read path over RTSP (TCP, the reader's
// credentials), depacketize VP9 (rtpvp9depay) and decode it (vp9dec); it
// returns how many frames reached the sink, up to n, and the output.
func gstDecodeVP9RTSP(t *testing.T, d *testharness.Daemon, path string, n int) (int, string) {
	t.Helper()
	bin := testharness.RequireGStreamer(t, testharness.GstElement{Name: "rtspsrc", Package: "gstreamer1.0-plugins-good"},
		testharness.GstElement{Name: "rtpvp9depay", Package: "gstreamer1.0-plugins-good"},
		testharness.GstElement{Name: "vp9dec", Package: "gstreamer1.0-plugins-good"})
	out, _ := runFor(20*time.Second, bin, "-v", "rtspsrc", "location=rtsp://"+d.Addr("rtsp")+"/"+path, "protocols=tcp",
		"user-id="+rtspReadUser, "user-pw="+rtspReadPass, "!", "rtpvp9depay", "!", "vp9dec", "!",
		"fakesink", "silent=false", "num-buffers="+strconv.Itoa(n))
	return strings.Count(string(out), "chain   ******* (fakesink"), string(out)
}

// H.265, VP8, VP9 and AV1 published over WHIP by a pion client (pion's
// payloaders, media made by ffmpeg's libx265, libvpx, libvpx-vp9 and
// libaom-av1) are decoded by an independent decoder, ffmpeg, reading them
// back: over RTSP (ffmpeg 5.1 depacketizes H.265 and VP8, not AV1, and
// its VP9 depacketizer follows draft 00 of the payload format, whose
// descriptor bits differ from RFC 9628's: GStreamer decodes VP9 there),
// over HLS in fMP4 (H.265, VP9, AV1; HLS has no VP8), and over WHEP (a
// pion reader writes the track into IVF, VP8, VP9, AV1, or Annex-B, H.265,
// which ffmpeg decodes).
func TestWHIPCodecsIndependentDecoder(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	d := startRTSPDaemon(t, rtspSetup{top: "webrtc: yes\nwebrtcIPsFromInterfaces: no\nhls: yes\nhlsVariant: fmp4\n" +
		"hlsSegmentDuration: 1s\n", paths: "  h265: {}\n  vp8: {}\n  vp9: {}\n  av1: {}\n"})
	for _, c := range []struct {
		path            string
		rtsp, hls, whep bool // the protocols ffmpeg 5.1 / streamgate carry the codec over
	}{
		{"h265", true, true, true},
		{"vp8", true, false, true},
		{"vp9", false, true, true},
		{"av1", false, true, true},
	} {
		t.Run(c.path, func(t *testing.T) {
			m := whipMedia[c.path]
			pionPublish(t, d, c.path, m.mime, m.frames(t))
			p := rtspWaitPath(t, d, c.path, 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
			t.Logf("published over WHIP: tracks %v", p.Tracks)
			type read struct {
				name, src string
				opts      []string
			}
			var reads []read
			if c.rtsp {
				reads = append(reads, read{"RTSP", rtspURL(d, rtspReadUser, rtspReadPass, c.path), nil})
			}
			if c.hls {
				reads = append(reads, read{"HLS", hlsURL(d, c.path+"/index.m3u8"),
					[]string{"-headers", "Authorization: " + basicHeader(rtspReadUser, rtspReadPass) + "\r\n"}})
			}
			if c.whep {
				var opts []string
				if c.path == "h265" {
					opts = []string{"-f", "hevc"} // Annex-B
				}
				reads = append(reads, read{"WHEP", whepToIVF(t, d, c.path, 30), opts})
			}
			if c.path == "vp9" {
				if n, out := gstDecodeVP9RTSP(t, d, c.path, 10); n < 10 {
					t.Errorf("vp9 over RTSP: GStreamer decoded %d frames:\n%s", n, tailLines(out, 25))
				} else {
					t.Logf("vp9 over RTSP: GStreamer decoded %d frames", n)
				}
			}
			for _, r := range reads {
				n, code, out := ffmpegDecode(t, r.src, 10, r.opts...)
				if n < 10 {
					t.Errorf("%s over %s: ffmpeg decoded %d frames (exit %d):\n%s", c.path, r.name, n, code, tailLines(out, 25))
				} else {
					t.Logf("%s over %s: ffmpeg decoded %d frames", c.path, r.name, n)
				}
			}
		})
	}
}

// whipMedia is what a pion WHIP publisher sends in the tests, by path name:
// 2 s of the test source encoded by ffmpeg (looped), and the track name the
// API lists for it.
var whipMedia = map[string]struct {
	mime, track string
	frames      func(t *testing.T) [][]byte
}{
	"h265": {pion.MimeTypeH265, "H265", func(t *testing.T) [][]byte { return h265AUs(t, 2) }},
	"vp8":  {pion.MimeTypeVP8, "VP8", func(t *testing.T) [][]byte { return ivfEncoded(t, "libvpx", 2, vpxRealtime...) }},
	"vp9":  {pion.MimeTypeVP9, "VP9", func(t *testing.T) [][]byte { return ivfEncoded(t, "libvpx-vp9", 2, vpxRealtime...) }},
	"av1": {pion.MimeTypeAV1, "AV1", func(t *testing.T) [][]byte {
		return ivfEncoded(t, "libaom-av1", 2, "-usage", "realtime", "-cpu-used", "8", "-b:v", "300k")
	}},
}

var vpxRealtime = []string{"-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"}

// pullFromWHIPCamera runs a second streamgate as the camera (top added to
// its configuration), its paths published over WHIP by pion (whipMedia) and
// readable by srcCamUser, and an edge (HLS in fMP4) that pulls each path
// from source(camera, path); it returns the edge once each pulled path is a
// ready sourceType with the one track published.
func pullFromWHIPCamera(t *testing.T, top, sourceType string, source func(cam *testharness.Daemon, path string) string, paths ...string) *testharness.Daemon {
	t.Helper()
	rtspRequireFFmpeg(t)
	var conf, sources strings.Builder
	for _, p := range paths {
		conf.WriteString("  " + p + ": {}\n")
	}
	cam := startRTSPDaemon(t, rtspSetup{top: top + "webrtc: yes\nwebrtcIPsFromInterfaces: no\n",
		users: "- {user: " + srcCamUser + ", pass: " + srcCamPass + ", permissions: [{action: read}]}\n",
		paths: conf.String()})
	for _, p := range paths {
		pionPublish(t, cam, p, whipMedia[p].mime, whipMedia[p].frames(t))
	}
	for _, p := range paths {
		rtspWaitPath(t, cam, p, 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
		sources.WriteString("  " + p + ":\n    source: " + source(cam, p) + "\n")
	}
	d := startEdge(t, "hls: yes\nhlsVariant: fmp4\nhlsSegmentDuration: 1s\n", sources.String())
	for _, p := range paths {
		waitSourceReady(t, d, p, sourceType, 20*time.Second)
		got := rtspWaitPath(t, d, p, 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
		if len(got.Tracks) != 1 || got.Tracks[0] != whipMedia[p].track {
			t.Errorf("%s pulled as %s: tracks %v, want [%s]", p, sourceType, got.Tracks, whipMedia[p].track)
		}
	}
	return d
}

// A WHEP server (a second streamgate, its paths published over WHIP in
// H.265, VP8 and AV1) is pulled over whep:// with credentials; the edge's
// readers decode the pulled tracks: H.265 and VP8 over RTSP, AV1 over HLS
// (ffmpeg).
func TestSourceWHEPFrameCodecs(t *testing.T) {
	t.Parallel()
	d := pullFromWHIPCamera(t, "", "whepSource", func(cam *testharness.Daemon, p string) string {
		return "whep://" + srcCamUser + ":" + srcCamPass + "@" + cam.Addr("webrtc") + "/" + p + "/whep"
	}, "h265", "vp8", "av1")
	if n, code, out := ffmpegDecode(t, rtspURL(d, rtspReadUser, rtspReadPass, "h265"), 10); n < 10 || !strings.Contains(out, "hevc") {
		t.Errorf("RTSP reader of the pulled H.265: ffmpeg decoded %d frames (exit %d), want 10 of hevc:\n%s", n, code, tailLines(out, 25))
	}
	readFrames(t, "RTSP reader of the pulled VP8", rtspURL(d, rtspReadUser, rtspReadPass, "vp8"), 10)
	readFrames(t, "HLS reader of the pulled AV1", hlsURL(d, "av1/index.m3u8"), 10,
		"-headers", "Authorization: "+basicHeader(rtspReadUser, rtspReadPass)+"\r\n")
}

// VP9 and AV1 over enhanced RTMP, both ways through streamgate: a second
// streamgate (its paths published over WHIP) plays them to the edge's
// rtmp:// sources, the edge ingests them as an RTMP publisher's tracks, and
// its readers decode them with ffmpeg over HLS (fMP4).
// (Debian's ffmpeg 5.1 and GStreamer 1.22 read no enhanced RTMP, so
// gortmplib, in the edge's source, is the RTMP reader.)
func TestRTMPFrameCodecs(t *testing.T) {
	t.Parallel()
	d := pullFromWHIPCamera(t, "rtmp: yes\n", "rtmpSource", func(cam *testharness.Daemon, p string) string {
		return rtmpURL(cam, p+"?"+rtmpCreds(srcCamUser, srcCamPass))
	}, "vp9", "av1")
	for _, p := range []string{"vp9", "av1"} {
		readFrames(t, "HLS reader of the "+p+" pulled over RTMP", hlsURL(d, p+"/index.m3u8"), 10,
			"-headers", "Authorization: "+basicHeader(rtspReadUser, rtspReadPass)+"\r\n")
	}
}
