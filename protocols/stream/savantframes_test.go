package stream

import (
	"bytes"
	"image/jpeg"
	"os"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	"github.com/streamgate/streamgate/protocols/savant"
)

// The test files were written by Debian's ffmpeg (4 frames of testsrc2,
// keyframes at 0 and 3): libvpx (VP8, 176x144), libvpx-vp9 (208x120),
// libaom-av1 (192x108), and one mjpeg image (320x240, -huffman default:
// RTP/JPEG carries no Huffman tables, a receiver uses the standard ones).

func readIVF(t *testing.T, name string) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if err != nil {
			return frames
		}
		frames = append(frames, frame)
	}
}

// packetize turns frames into RTP packets with gortsplib's encoder of f,
// 1000-byte payloads (every test keyframe takes several packets).
func packetize(t *testing.T, f format.Format, frames [][]byte) [][]*rtp.Packet {
	t.Helper()
	var out [][]*rtp.Packet
	for _, frame := range frames {
		var pkts []*rtp.Packet
		var err error
		switch f := f.(type) {
		case *format.VP8:
			e, _ := f.CreateEncoder()
			e.PayloadMaxSize = 1000
			pkts, err = e.Encode(frame)
		case *format.VP9:
			e, _ := f.CreateEncoder()
			e.PayloadMaxSize = 1000
			pkts, err = e.Encode(frame)
		case *format.AV1:
			var bs av1.Bitstream
			if err = bs.Unmarshal(frame); err == nil {
				var tu [][]byte
				for _, obu := range bs {
					if (obu[0]>>3)&0xf != obuTemporalDelimiter { // the AV1 RTP payload format drops temporal delimiters
						tu = append(tu, obu)
					}
				}
				e, _ := f.CreateEncoder()
				e.PayloadMaxSize = 1000
				pkts, err = e.Encode(tu)
			}
		case *format.MJPEG:
			e, _ := f.CreateEncoder()
			e.PayloadMaxSize = 1000
			pkts, err = e.Encode(frame)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pkts)
	}
	// One sequence of numbers across frames, as one sender would.
	seq := uint16(100)
	for _, pkts := range out {
		for _, p := range pkts {
			p.SequenceNumber = seq
			seq++
		}
	}
	return out
}

// feed sends the packets of every frame to a frameTrack as the hub's units
// (a frame every 100 ms at 90 kHz) and returns the Savant frames; skip
// drops packets (frame index, packet index).
func feed(t *testing.T, f format.Format, pkts [][]*rtp.Packet, skip map[[2]int]bool) []savant.Frame {
	t.Helper()
	tr := newFrameTrack(f)
	if tr == nil {
		t.Fatalf("no track for %T", f)
	}
	var out []savant.Frame
	for i, frame := range pkts {
		for j, p := range frame {
			if skip[[2]int{i, j}] {
				continue
			}
			if fr, ok := tr.frame(&Unit{Format: f, PTS: int64(i) * 9000, RTP: p}); ok {
				out = append(out, fr)
			}
		}
	}
	return out
}

func TestSavantFramesOfRTPFormats(t *testing.T) {
	for _, c := range []struct {
		name, file, codec string
		format            format.Format
		width, height     int
	}{
		{"vp8", "vp8.ivf", "vp8", &format.VP8{PayloadTyp: 96}, 176, 144},
		{"vp9", "vp9.ivf", "vp9", &format.VP9{PayloadTyp: 96}, 208, 120},
		{"av1", "av1.ivf", "av1", &format.AV1{PayloadTyp: 96}, 192, 108},
	} {
		t.Run(c.name, func(t *testing.T) {
			frames := readIVF(t, c.file)
			if len(frames) != 4 {
				t.Fatalf("%d frames in %s, want 4", len(frames), c.file)
			}
			pkts := packetize(t, c.format, frames)
			if len(pkts[0]) < 2 {
				t.Fatalf("the keyframe took %d packet, want several", len(pkts[0]))
			}
			got := feed(t, c.format, pkts, nil)
			if len(got) != 4 {
				t.Fatalf("%d Savant frames, want 4", len(got))
			}
			for i, fr := range got {
				wantKey := i == 0 || i == 3
				if fr.Codec != c.codec || fr.Keyframe != wantKey || fr.Width != c.width || fr.Height != c.height {
					t.Errorf("frame %d: codec %q keyframe %v %dx%d, want %q %v %dx%d", i, fr.Codec, fr.Keyframe,
						fr.Width, fr.Height, c.codec, wantKey, c.width, c.height)
				}
				// The bytes as the encoder wrote them into the IVF file
				// (AV1: temporal delimiter and sized OBUs).
				if !bytes.Equal(fr.Data, frames[i]) {
					t.Errorf("frame %d: %d bytes differ from the encoder's %d", i, len(fr.Data), len(frames[i]))
				}
				if want := int64(i) * 100_000_000; fr.PTS != want || fr.DTS != want {
					t.Errorf("frame %d: pts %d dts %d, want %d", i, fr.PTS, fr.DTS, want)
				}
			}
			if got[0].Framerate != "30/1" || got[1].Framerate != "10/1" {
				t.Errorf("framerates %q, %q, want the default then 10/1", got[0].Framerate, got[1].Framerate)
			}

			// A packet of the first keyframe lost: nothing until the
			// next keyframe, which comes whole.
			got = feed(t, c.format, pkts, map[[2]int]bool{{0, 1}: true})
			if len(got) != 1 || !got[0].Keyframe || !bytes.Equal(got[0].Data, frames[3]) {
				t.Errorf("after a lost packet: %d frames, want only the second keyframe", len(got))
			}

			// A unit the hub decoded already (AU set) gives the same frame.
			tr := newFrameTrack(c.format)
			au := [][]byte{frames[0]}
			if c.name == "av1" {
				var bs av1.Bitstream
				_ = bs.Unmarshal(frames[0])
				au = bs
			}
			fr, ok := tr.frame(&Unit{Format: c.format, AU: au})
			if !ok || !fr.Keyframe || !bytes.Equal(fr.Data, frames[0]) {
				t.Errorf("decoded unit: ok %v keyframe %v, same bytes %v", ok, fr.Keyframe, bytes.Equal(fr.Data, frames[0]))
			}
		})
	}
}

func TestSavantFramesOfMJPEG(t *testing.T) {
	img, err := os.ReadFile("testdata/image.jpg")
	if err != nil {
		t.Fatal(err)
	}
	f := &format.MJPEG{}
	pkts := packetize(t, f, [][]byte{img, img, img})
	got := feed(t, f, pkts, nil)
	if len(got) != 3 {
		t.Fatalf("%d Savant frames, want 3", len(got))
	}
	for i, fr := range got {
		if fr.Codec != "jpeg" || !fr.Keyframe || fr.Width != 320 || fr.Height != 240 {
			t.Errorf("frame %d: codec %q keyframe %v %dx%d, want jpeg, a keyframe, 320x240", i, fr.Codec, fr.Keyframe, fr.Width, fr.Height)
		}
		// A whole JFIF image (RTP/JPEG rebuilds the headers, so not the
		// same bytes): it decodes.
		m, err := jpeg.Decode(bytes.NewReader(fr.Data))
		if err != nil {
			t.Fatalf("frame %d does not decode: %v", i, err)
		}
		if b := m.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
			t.Errorf("frame %d decodes to %v", i, b)
		}
	}
	// A lost packet loses that image only.
	got = feed(t, f, pkts, map[[2]int]bool{{1, 1}: true})
	if len(got) != 2 {
		t.Errorf("%d frames with a packet of the second lost, want 2", len(got))
	}
}

func TestParseVP8RefusesAKeyFrameWithoutStartCode(t *testing.T) {
	if _, _, _, _, err := parseVP8([][]byte{{0x10, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0}}); err == nil {
		t.Error("a key frame tag without the start code was taken")
	}
	key, _, _, _, err := parseVP8([][]byte{{0x11, 0x02, 0x00}})
	if err != nil || key {
		t.Errorf("an inter frame: key %v, error %v", key, err)
	}
}
