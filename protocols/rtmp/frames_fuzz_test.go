package rtmp

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/abema/go-mp4"
	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/protocols/stream"
)

// frameCodecInput is a FuzzFrameCodecs input taken apart: the track's codec,
// how frames are sent, the AV1 configuration OBUs and the frames.
type frameCodecInput struct {
	vp9, framesX bool
	configOBUs   []byte
	frames       [][]byte
	gaps         []time.Duration // before each frame
}

// parseFrameCodecInput reads flags, one byte of configuration length and
// the configuration, then frames as a gap byte (ms), a 16-bit length and
// the bytes (cut short at the end of the input).
func parseFrameCodecInput(in []byte) frameCodecInput {
	var f frameCodecInput
	if len(in) < 2 {
		return f
	}
	f.vp9, f.framesX = in[0]&1 != 0, in[0]&2 != 0
	n := min(int(in[1]), len(in)-2)
	f.configOBUs, in = in[2:2+n], in[2+n:]
	for len(in) >= 3 {
		n := min(int(binary.BigEndian.Uint16(in[1:3])), len(in)-3)
		f.gaps = append(f.gaps, time.Duration(in[0])*time.Millisecond)
		f.frames, in = append(f.frames, in[3:3+n]), in[3+n:]
	}
	return f
}

// messages are what an enhanced-RTMP publisher of the input sends:
// onMetaData, the sequence start, the frames.
func (f frameCodecInput) messages() []message.Message {
	fourCC, codecID := message.FourCCAV1, float64(message.FourCCAV1)
	seq := &message.VideoExSequenceStart{ChunkStreamID: 6, MessageStreamID: 1, FourCC: fourCC,
		AV1Config: &mp4.Av1C{Marker: 1, Version: 1, ConfigOBUs: f.configOBUs}}
	if f.vp9 {
		fourCC, codecID = message.FourCCVP9, float64(message.FourCCVP9)
		seq = &message.VideoExSequenceStart{ChunkStreamID: 6, MessageStreamID: 1, FourCC: fourCC, VP9Config: &mp4.VpcC{}}
	}
	msgs := []message.Message{
		&message.DataAMF0{ChunkStreamID: 4, MessageStreamID: 1,
			Payload: []any{"@setDataFrame", "onMetaData", amf0.Object{{Key: "videocodecid", Value: codecID}}}},
		seq,
	}
	var dts time.Duration
	for i, fr := range f.frames {
		dts += f.gaps[i]
		if f.framesX {
			msgs = append(msgs, &message.VideoExFramesX{ChunkStreamID: 6, MessageStreamID: 1, DTS: dts, FourCC: fourCC, Payload: fr})
		} else {
			msgs = append(msgs, &message.VideoExCodedFrames{ChunkStreamID: 6, MessageStreamID: 1, DTS: dts, FourCC: fourCC, Payload: fr})
		}
	}
	return msgs
}

// FuzzFrameCodecs drives an authenticated AV1 or VP9 publisher's frames
// through what streamgate does with them: gortmplib's Reader (the AV1
// bitstream parsed by OnDataAV1), ingest's describe and attach
// (withoutTemporalDelimiters), the hub, and an RTMP reader's output
// (writeFrames, gortmplib's writer); and the same frames straight into an
// output as one-frame units, as a publisher of another protocol could hand
// them over. None of it may panic.
func FuzzFrameCodecs(f *testing.F) {
	td, seqHeader, frame := []byte{0x12, 0x00}, []byte{0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf, 0xc3, 0x70, 0x0b, 0xe0, 0x01},
		[]byte{0x32, 0x01, 0x00}
	vp9Key, vp9Inter := []byte{0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6}, []byte{0x86, 0x00}
	seed := func(flags byte, config []byte, frames ...[]byte) []byte {
		in := append([]byte{flags, byte(len(config))}, config...)
		for _, fr := range frames {
			in = append(in, 40, byte(len(fr)>>8), byte(len(fr)))
			in = append(in, fr...)
		}
		return in
	}
	key := append(append(append([]byte{}, td...), seqHeader...), frame...)
	inter := append(append([]byte{}, td...), frame...)
	f.Add(seed(0, seqHeader, key, inter, inter))
	f.Add(seed(2, seqHeader, key, []byte{}, inter))
	f.Add(seed(1, nil, vp9Key, vp9Inter, vp9Key))
	f.Add(seed(3, nil, vp9Inter, vp9Key, []byte{}))
	f.Add(seed(0, nil, []byte{0x0a, 0x80, 0x80, 0x80, 0x80, 0x10}, []byte{0x32}))
	f.Fuzz(func(t *testing.T, in []byte) {
		fin := parseFrameCodecInput(in)
		if len(fin.frames) == 0 {
			return
		}
		ingestFrames(t, fin)
		outputFrames(t, fin)
	})
}

// ingestFrames publishes the input as an RTMP publisher would and reads it
// back as an RTMP reader.
func ingestFrames(t *testing.T, fin frameCodecInput) {
	r, err := newReader(&scriptConn{msgs: fin.messages()})
	if err != nil {
		return // the AV1 configuration did not parse, or the probe did not end
	}
	publishTo(t, r)
}

// publishTo publishes what r reads, with an RTMP reader's output as a sink,
// until r fails.
func publishTo(t *testing.T, r *gortmplib.Reader) {
	hub := stream.NewHub(func(string) (*stream.PathOptions, bool) { return &stream.PathOptions{Publisher: true}, true },
		nil, slog.New(slog.DiscardHandler))
	desc, attach := Ingest(r)
	if len(desc.Medias) == 0 {
		return
	}
	p, err := hub.Publish("fuzz", desc, stream.SourceInfo{Protocol: "rtmp"})
	if err != nil {
		t.Error(err) // not on the test's goroutine: no Fatal
		return
	}
	defer p.Close()
	o := newOutput(desc, &recordConn{})
	if o == nil {
		return
	}
	p.AddInlineSink("fuzz", func(u *stream.Unit) {
		if err := o.write(u); err != nil {
			t.Errorf("output: %v", err)
		}
	}, nil)
	attach(p)
	for r.Read() == nil { // until io.EOF, or a frame gortmplib refuses (the connection would end)
	}
}

// outputFrames hands each frame of the input to an output as a unit: an
// AV1 frame split into its OBUs where they parse, one VP9 frame.
func outputFrames(t *testing.T, fin frameCodecInput) {
	var fm format.Format = &format.AV1{PayloadTyp: 96}
	if fin.vp9 {
		fm = &format.VP9{PayloadTyp: 96}
	}
	m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{fm}}
	o := newOutput(&description.Session{Medias: []*description.Media{m}}, &recordConn{})
	var pts int64
	for i, fr := range fin.frames {
		pts += int64(fin.gaps[i]) * 90 / int64(time.Millisecond)
		au := [][]byte{fr}
		if !fin.vp9 && fin.framesX { // every OBU of the frame a unit of its own
			au = splitBytes(fr)
		}
		if !fin.vp9 {
			au = withoutTemporalDelimiters(au)
		}
		if err := o.write(&stream.Unit{Media: m, Format: fm, PTS: pts, AU: au}); err != nil {
			t.Fatalf("output: %v", err)
		}
		if i%4 == 3 {
			o.resync()
		}
	}
}

// splitBytes cuts b into pieces of the sizes its bytes give, in turn.
func splitBytes(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := min(int(b[0])%16+1, len(b))
		out, b = append(out, b[:n]), b[n:]
	}
	return out
}

// FuzzRTMPPublished feeds any bytes an authenticated publisher may send
// after its publish command (testdata/fuzz/FuzzRTMPPublished: the media
// ffmpeg and GStreamer sent, and enhanced-RTMP AV1 and VP9) through the
// session's message guard and decoder, gortmplib's Reader, ingest and the
// hub to an RTMP reader's output: it never panics and ends (the input is
// finite).
func FuzzRTMPPublished(f *testing.F) {
	prefix := acceptSeed{}.bytes(f)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := accept(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(append(append([]byte{}, prefix...), in...)), io.Discard})
		if err != nil {
			t.Fatalf("the publish prefix: %v", err)
		}
		s.authenticated()
		done := make(chan struct{})
		go func() {
			defer close(done)
			r, err := newReader(s)
			if err != nil {
				return
			}
			publishTo(t, r)
		}()
		select {
		case <-done:
		case <-time.After(hangTimeout):
			t.Fatalf("reading %d bytes of media did not end within %s", len(in), hangTimeout)
		}
	})
}
