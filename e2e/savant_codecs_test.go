package e2e_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Motion JPEG published by ffmpeg over RTSP reaches an independent Python
// Savant subscriber as VideoFrames of codec "jpeg" (savant-rs's name), every
// one a keyframe of 320x240 whose content is a whole JPEG image that
// decodes.
func TestSavantMJPEGOverRTSP(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	ep := testharness.IPCEndpoint(t, "mjpeg")
	d := startRTSPDaemon(t, rtspSetup{top: "savant:\n  url: pub+bind:" + ep + "\n", paths: "  cam: {}\n  warmup: {}\n"})
	r := rtspSavantSubscriber(t, d, ep)
	pub := startPeer(t, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "2", "-c:v", "mjpeg",
		"-huffman", "default", // ffmpeg's RTP/JPEG sends nothing else (RFC 2435 has no Huffman tables)
		"-f", "rtsp", "-rtsp_transport", "tcp", rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
	if code := pub.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("ffmpeg publishing exited %d", code)
	}
	frames := savantVideoFrames(t, rtspWaitEndOfStream(t, r, "cam", 10*time.Second))
	if len(frames) < 15 {
		t.Fatalf("%d VideoFrames for 2 s of 10 fps MJPEG, want about 20", len(frames))
	}
	for i, f := range frames {
		if f.codec != "jpeg" || !f.key || f.width != 320 || f.height != 240 {
			t.Errorf("frame %d: codec %q keyframe %v %dx%d, want jpeg, a keyframe, 320x240", i, f.codec, f.key, f.width, f.height)
		}
		img, err := jpeg.Decode(bytes.NewReader(f.data))
		if err != nil {
			t.Fatalf("frame %d: the content does not decode as JPEG: %v", i, err)
		}
		if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
			t.Errorf("frame %d decodes to %v", i, b)
		}
	}
	t.Logf("%d MJPEG VideoFrames, each a 320x240 JPEG keyframe that decodes", len(frames))
}

// A pion WHIP client publishes VP8, VP9 and AV1 (ffmpeg's libvpx,
// libvpx-vp9 and libaom-av1 frames): the Python Savant subscriber gets
// VideoFrames with the codec names "vp8", "vp9" and "av1", the first a
// keyframe, keyframes where the encoder put them (every 25th frame), the
// size 320x240, and content that ffmpeg decodes once written back into an
// IVF file (each frame as it came, AV1 as low-overhead temporal units).
func TestSavantWebRTCCodecs(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	ep := testharness.IPCEndpoint(t, "webrtc")
	d := startRTSPDaemon(t, rtspSetup{top: "webrtc: yes\nwebrtcIPsFromInterfaces: no\nsavant:\n  url: pub+bind:" + ep + "\n",
		paths: "  vp8: {}\n  vp9: {}\n  av1: {}\n  warmup: {}\n"})
	r := rtspSavantSubscriber(t, d, ep)
	vpx := []string{"-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"}
	for _, c := range []struct {
		path, mime, encoder, fourcc string
		opts                        []string
	}{
		{"vp8", pion.MimeTypeVP8, "libvpx", "VP80", vpx},
		{"vp9", pion.MimeTypeVP9, "libvpx-vp9", "VP90", vpx},
		{"av1", pion.MimeTypeAV1, "libaom-av1", "AV01", []string{"-usage", "realtime", "-cpu-used", "8", "-b:v", "300k"}},
	} {
		t.Run(c.path, func(t *testing.T) {
			sent := ivfEncoded(t, c.encoder, 2, c.opts...)
			end := pionPublishAs(t, d, c.path, "", rtspPubUser, rtspPubPass, c.mime, sent)
			// At 25 fps the publisher loops over its 50 frames: wait for
			// the second keyframe, then end.
			deadline := time.Now().Add(20 * time.Second)
			for {
				keys := 0
				for _, f := range savantVideoFrames(t, savantTopic(r.Messages(), c.path)) {
					if f.key {
						keys++
					}
				}
				if keys >= 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("fewer than 2 keyframes of %s within 20 s", c.path)
				}
				r.Wait(len(r.Messages())+1, time.Until(deadline))
			}
			end()
			frames := savantVideoFrames(t, rtspWaitEndOfStream(t, r, c.path, 15*time.Second))
			if len(frames) == 0 || !frames[0].key {
				t.Fatalf("%d frames, the first not a keyframe", len(frames))
			}
			keys := 0
			var lastPTS int64 = -1
			for i, f := range frames {
				if f.codec != c.path || f.width != 320 || f.height != 240 {
					t.Errorf("frame %d: codec %q %dx%d, want %s 320x240", i, f.codec, f.width, f.height, c.path)
				}
				if f.pts <= lastPTS || f.dts != f.pts {
					t.Errorf("frame %d: pts %d dts %d after pts %d", i, f.pts, f.dts, lastPTS)
				}
				lastPTS = f.pts
				if f.key {
					keys++
				}
			}
			// The keyframe flags against the sender's frames: frame n of
			// the loop is a keyframe when n % 25 == 0 (-g 25). The content
			// is matched to the frame sent (VP8, VP9: the same bytes).
			matched := 0
			for i, f := range frames {
				n := -1
				for j, s := range sent {
					if c.path != "av1" && bytes.Equal(s, f.data) || c.path == "av1" && bytes.Equal(av1WithoutDelimiter(s), av1WithoutDelimiter(f.data)) {
						n = j
						break
					}
				}
				if n < 0 {
					continue
				}
				matched++
				if f.key != (n%25 == 0) {
					t.Errorf("frame %d (frame %d sent): keyframe %v", i, n, f.key)
				}
			}
			if matched < len(frames)*9/10 {
				t.Errorf("%d of %d frames are byte for byte a frame sent", matched, len(frames))
			}
			decoded, out := ffmpegDecodeIVF(t, c.fourcc, frames)
			if decoded != len(frames) {
				t.Errorf("ffmpeg decoded %d of the %d frames:\n%s", decoded, len(frames), tailLines(out, 20))
			}
			t.Logf("%s: %d VideoFrames (%d keyframes), %d sent frames matched, ffmpeg decoded %d", c.path, len(frames), keys, matched, decoded)
		})
	}
}

// savantFrame is what the tests read of a VideoFrame.
type savantFrame struct {
	codec         string
	key           bool
	width, height int
	pts, dts      int64
	data          []byte
}

// savantTopic returns the messages of one topic.
func savantTopic(all []testharness.SavantMessage, topic string) []testharness.SavantMessage {
	var out []testharness.SavantMessage
	for _, m := range all {
		if len(m.Frames) > 0 && string(m.Frames[0]) == topic {
			out = append(out, m)
		}
	}
	return out
}

// savantVideoFrames returns the VideoFrames of msgs.
func savantVideoFrames(t *testing.T, msgs []testharness.SavantMessage) []savantFrame {
	t.Helper()
	var out []savantFrame
	for _, m := range msgs {
		if m.Content != "video_frame" {
			continue
		}
		vf, _ := m.Message["video_frame"].(map[string]any)
		key, _ := vf["keyframe"].(bool)
		codec, _ := vf["codec"].(string)
		out = append(out, savantFrame{codec: codec, key: key, width: int(rtspInt(vf["width"])), height: int(rtspInt(vf["height"])),
			pts: rtspInt(vf["pts"]), dts: rtspInt(vf["dts"]), data: bytes.Join(m.Frames[2:], nil)})
	}
	return out
}

// av1WithoutDelimiter drops a leading temporal delimiter OBU (ffmpeg's IVF
// frames have one, as the Savant frames do; compared without it in case).
func av1WithoutDelimiter(b []byte) []byte {
	if len(b) >= 2 && b[0] == 0x12 && b[1] == 0 {
		return b[2:]
	}
	return b
}

// ffmpegDecodeIVF writes frames into an IVF file and returns how many
// frames ffmpeg decodes from it, and its output.
func ffmpegDecodeIVF(t *testing.T, fourcc string, frames []savantFrame) (int, string) {
	t.Helper()
	var b bytes.Buffer
	hdr := make([]byte, 32)
	copy(hdr, "DKIF")
	binary.LittleEndian.PutUint16(hdr[6:], 32)
	copy(hdr[8:], fourcc)
	binary.LittleEndian.PutUint16(hdr[12:], 320)
	binary.LittleEndian.PutUint16(hdr[14:], 240)
	binary.LittleEndian.PutUint32(hdr[16:], 1_000_000_000) // time base: ns
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	binary.LittleEndian.PutUint32(hdr[24:], uint32(len(frames)))
	b.Write(hdr)
	for _, f := range frames {
		var fh [12]byte
		binary.LittleEndian.PutUint32(fh[:], uint32(len(f.data)))
		binary.LittleEndian.PutUint64(fh[4:], uint64(f.pts))
		b.Write(fh[:])
		b.Write(f.data)
	}
	file := testharness.TempFile(t, "savant.ivf", b.String())
	// -xerror: a frame that does not decode ends ffmpeg with an error.
	decoded, code, out := ffmpegDecode(t, file, len(frames), "-xerror", "-f", "ivf")
	if code != 0 {
		return 0, fmt.Sprintf("exit %d\n%s", code, out)
	}
	return decoded, out
}
