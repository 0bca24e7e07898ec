package rtmp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/abema/go-mp4"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
)

// writeSeeds rewrites the generated seeds of FuzzRTMPAccept:
// go test ./protocols/rtmp/ -run TestAcceptEnhancedSeeds -rtmp.writeseeds
var writeSeeds = flag.Bool("rtmp.writeseeds", false, "rewrite testdata/fuzz/FuzzRTMPAccept/enhanced_*")

// A seed of FuzzRTMPAccept: a plain handshake, then messages as a client
// writes them (enhanced-RTMP media before connect, say), then connect,
// createStream and publish or play.
type acceptSeed struct {
	name    string
	before  []*rawmessage.Message // between the handshake and connect
	play    bool
	decodes bool // gortmplib decodes before (otherwise it ends the connection)
}

// rawOf is m as gortmplib's writer puts it on the wire.
func rawOf(t testing.TB, m message.Message) *rawmessage.Message {
	t.Helper()
	var buf bytes.Buffer
	if err := message.NewWriter(&buf, bytecounter.NewWriter(&buf), false).Write(m); err != nil {
		t.Fatalf("writing %T: %v", m, err)
	}
	raw, err := rawmessage.NewReader(&buf, bytecounter.NewReader(&buf), nil).Read()
	if err != nil {
		t.Fatalf("reading back %T: %v", m, err)
	}
	return raw
}

// corrupt is raw with its body cut to n bytes (n <= 0: -n bytes off its end)
// and then the bytes of set written at their offsets.
func corrupt(raw *rawmessage.Message, n int, set map[int]byte) *rawmessage.Message {
	c := *raw
	if n <= 0 {
		n += len(raw.Body)
	}
	c.Body = append([]byte(nil), raw.Body[:n]...)
	for i, b := range set {
		c.Body[i] = b
	}
	return &c
}

// Valid enhanced-RTMP configuration boxes, as gortmplib's own tests have them.
var (
	seedAV1C = &mp4.Av1C{Marker: 1, Version: 1, SeqLevelIdx0: 8, ChromaSubsamplingX: 1, ChromaSubsamplingY: 1,
		ConfigOBUs: []byte{0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf, 0xc3, 0x70, 0x0b, 0xe0, 0x01}}
	seedVPCC = &mp4.VpcC{FullBox: mp4.FullBox{Version: 1}, Level: 0x28, BitDepth: 8, ChromaSubsampling: 1,
		ColourPrimaries: 2, TransferCharacteristics: 2, MatrixCoefficients: 2, CodecInitializationData: []byte{}}
)

// seedHVCC is an hvcC box with one array of n NAL units of size bytes each.
func seedHVCC(n, size int) *mp4.HvcC {
	nalus := make([]mp4.HEVCNalu, n)
	for i := range nalus {
		nalus[i] = mp4.HEVCNalu{Length: uint16(size), NALUnit: bytes.Repeat([]byte{0x40}, size)}
	}
	return &mp4.HvcC{ConfigurationVersion: 1, GeneralProfileIdc: 1, GeneralLevelIdc: 0x7b, Reserved1: 0xf,
		Reserved2: 0x3f, Reserved3: 0x3f, ChromaFormatIdc: 1, Reserved4: 0x1f, Reserved5: 0x1f, LengthSizeMinusOne: 3,
		NumOfNaluArrays: 1, NaluArrays: []mp4.HEVCNaluArray{{Completeness: true, NaluType: 0x20,
			NumNalus: uint16(n), Nalus: nalus}}}
}

func enhancedSeeds(t testing.TB) []acceptSeed {
	const cs, ms = 6, 1 // the chunk and message stream IDs ffmpeg sends media on
	seq := func(fourCC message.FourCC, av1 *mp4.Av1C, vp9 *mp4.VpcC, hevc *mp4.HvcC) *message.VideoExSequenceStart {
		return &message.VideoExSequenceStart{ChunkStreamID: cs, MessageStreamID: ms, FourCC: fourCC,
			AV1Config: av1, VP9Config: vp9, HEVCConfig: hevc}
	}
	av1Seq := seq(message.FourCCAV1, seedAV1C, nil, nil)
	vp9Seq := seq(message.FourCCVP9, nil, seedVPCC, nil)
	hevcSeq := seq(message.FourCCHEVC, nil, nil, seedHVCC(3, 24))
	av1Frames := &message.VideoExCodedFrames{ChunkStreamID: cs, MessageStreamID: ms, FourCC: message.FourCCAV1,
		Payload: []byte{0x12, 0x00, 0x32, 0x03, 0x10, 0x00, 0x01}}
	hevcFrames := &message.VideoExCodedFrames{ChunkStreamID: cs, MessageStreamID: ms, FourCC: message.FourCCHEVC,
		Payload: []byte{0, 0, 0, 3, 0x26, 0x01, 0xaf}}
	opusSeq := &message.AudioExSequenceStart{ChunkStreamID: 4, MessageStreamID: ms, FourCC: message.FourCCOpus,
		OpusConfig: &message.OpusIDHeader{Version: 1, ChannelCount: 2, PreSkip: 0x3801, InputSampleRate: 48000,
			ChannelMappingTable: []byte{}}}
	aacSeq := &message.AudioExSequenceStart{ChunkStreamID: 4, MessageStreamID: ms, FourCC: message.FourCCMP4A,
		AACConfig: &mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 48000,
			ChannelConfig: 2}}
	r := func(m message.Message) *rawmessage.Message { return rawOf(t, m) }
	chunk4K := r(&message.SetChunkSize{Value: 4096})
	return []acceptSeed{
		{name: "av1_sequence_start", decodes: true, before: []*rawmessage.Message{r(av1Seq)}},
		{name: "vp09_sequence_start", decodes: true, before: []*rawmessage.Message{r(vp9Seq)}},
		{name: "hvc1_sequence_start", decodes: true, before: []*rawmessage.Message{r(hevcSeq)}},
		{name: "av1_sequence_start_play", decodes: true, play: true, before: []*rawmessage.Message{r(av1Seq), r(av1Frames)}},
		// Boxes cut short or with a count past their end: gortmplib's decode
		// fails and the connection ends.
		{name: "av1_sequence_start_truncated", before: []*rawmessage.Message{corrupt(r(av1Seq), 7, nil)}},
		{name: "av1_sequence_start_marker_zero", decodes: true, before: []*rawmessage.Message{corrupt(r(av1Seq), 0, map[int]byte{5: 0x01})}},
		{name: "vp09_sequence_start_truncated", before: []*rawmessage.Message{corrupt(r(vp9Seq), -3, nil)}},
		{name: "vp09_sequence_start_init_size", before: []*rawmessage.Message{corrupt(r(vp9Seq), 0, map[int]byte{15: 0xff, 16: 0xff})}},
		{name: "hvc1_sequence_start_nalu_count", before: []*rawmessage.Message{corrupt(r(hevcSeq), 0, map[int]byte{28: 0xff, 29: 0xff})}},
		{name: "hvc1_sequence_start_array_count", before: []*rawmessage.Message{corrupt(r(hevcSeq), 0, map[int]byte{27: 0xff})}},
		// About 40 KiB of hvcC in 4 KiB chunks: what one message before
		// authentication can make gortmplib decode.
		{name: "hvc1_sequence_start_large", decodes: true, before: []*rawmessage.Message{chunk4K,
			r(seq(message.FourCCHEVC, nil, nil, seedHVCC(20000, 0)))}},
		{name: "coded_frames", decodes: true, before: []*rawmessage.Message{r(av1Seq), r(av1Frames), r(hevcFrames),
			r(&message.VideoExFramesX{ChunkStreamID: cs, MessageStreamID: ms, FourCC: message.FourCCHEVC, Payload: []byte{0, 0, 0, 2, 0x02, 0x01}}),
			r(&message.VideoExSequenceEnd{ChunkStreamID: cs, MessageStreamID: ms, FourCC: message.FourCCAV1})}},
		{name: "multitrack", decodes: true, before: []*rawmessage.Message{
			r(&message.VideoExMultitrack{MultitrackType: message.VideoExMultitrackTypeOneTrack, TrackID: 1, Wrapped: av1Seq}),
			r(&message.VideoExMultitrack{MultitrackType: message.VideoExMultitrackTypeOneTrack, TrackID: 1, Wrapped: vp9Seq}),
			r(&message.VideoExMultitrack{MultitrackType: message.VideoExMultitrackTypeOneTrack, TrackID: 2, Wrapped: hevcSeq}),
			r(&message.VideoExMultitrack{MultitrackType: message.VideoExMultitrackTypeOneTrack, TrackID: 1, Wrapped: av1Frames}),
			r(&message.AudioExMultitrack{MultitrackType: message.AudioExMultitrackTypeOneTrack, TrackID: 1, Wrapped: opusSeq})}},
		{name: "multitrack_many_tracks", before: []*rawmessage.Message{corrupt(
			r(&message.VideoExMultitrack{MultitrackType: message.VideoExMultitrackTypeOneTrack, TrackID: 1, Wrapped: av1Seq}),
			0, map[int]byte{1: 0x10})}},
		{name: "multitrack_corrupt_box", before: []*rawmessage.Message{corrupt(
			r(&message.VideoExMultitrack{MultitrackType: message.VideoExMultitrackTypeOneTrack, TrackID: 2, Wrapped: hevcSeq}),
			-5, nil)}},
		{name: "audio_ex", decodes: true, before: []*rawmessage.Message{r(opusSeq), r(aacSeq),
			r(&message.AudioExSequenceStart{ChunkStreamID: 4, MessageStreamID: ms, FourCC: message.FourCCAC3}),
			r(&message.AudioExCodedFrames{ChunkStreamID: 4, MessageStreamID: ms, FourCC: message.FourCCOpus, Payload: []byte{0xfc, 0xff, 0xfe}}),
			r(&message.AudioExMultichannelConfig{ChunkStreamID: 4, MessageStreamID: ms, FourCC: message.FourCCOpus,
				AudioChannelOrder: message.AudioExChannelOrderNative, ChannelCount: 2, AudioChannelFlags: 3}),
			r(&message.AudioExSequenceEnd{ChunkStreamID: 4, MessageStreamID: ms, FourCC: message.FourCCOpus})}},
		{name: "audio_ex_bad_config", before: []*rawmessage.Message{corrupt(r(aacSeq), 6, nil)}},
		{name: "audio_ex_opus_truncated", before: []*rawmessage.Message{corrupt(r(opusSeq), 12, nil)}},
		{name: "video_ex_metadata", decodes: true, before: []*rawmessage.Message{r(&message.VideoExMetadata{ChunkStreamID: cs,
			MessageStreamID: ms, FourCC: message.FourCCHEVC, Payload: []any{"colorInfo", amf0.Object{
				{Key: "colorConfig", Value: amf0.Object{{Key: "bitDepth", Value: float64(10)}}},
				{Key: "hdrCll", Value: amf0.ECMAArray{{Key: "maxFall", Value: float64(400)}}}}}})}},
		{name: "video_ex_metadata_truncated", before: []*rawmessage.Message{corrupt(r(&message.VideoExMetadata{ChunkStreamID: cs,
			MessageStreamID: ms, FourCC: message.FourCCAV1, Payload: []any{"colorInfo", amf0.Object{}}}), -2, nil)}},
	}
}

// bytes is the seed's input to accept.
func (s acceptSeed) bytes(t testing.TB) []byte {
	t.Helper()
	in := append([]byte{3}, make([]byte, 2*handshakeC1Size)...) // C0 (plain), C1, C2 (not checked)
	cmd := func(name string, id int, args ...any) *rawmessage.Message {
		return rawOf(t, &message.CommandAMF0{ChunkStreamID: 3, Name: name, CommandID: id, Arguments: args})
	}
	last := cmd("publish", 3, nil, "cam", "live")
	if s.play {
		last = cmd("play", 3, nil, "cam")
	}
	msgs := append(append([]*rawmessage.Message{}, s.before...),
		cmd("connect", 1, amf0.Object{{Key: "app", Value: "live"}, {Key: "tcUrl", Value: "rtmp://h/live"}}),
		cmd("createStream", 2, nil), last)
	return append(in, clientBytes(t, msgs...)...)
}

// clientBytes is raws as a client's writer puts them on the wire: in chunks
// of 128 bytes until one of them sets another size.
func clientBytes(t testing.TB, raws ...*rawmessage.Message) []byte {
	t.Helper()
	var out bytes.Buffer
	w := rawmessage.NewWriter(&out, bytecounter.NewWriter(&out), false)
	for _, raw := range raws {
		if err := w.Write(raw); err != nil {
			t.Fatal(err)
		}
		if raw.Type == uint8(message.TypeSetChunkSize) {
			w.SetChunkSize(binary.BigEndian.Uint32(raw.Body))
		}
	}
	return out.Bytes()
}

// handshakeC1Size is the size of C1 and C2 (RTMP specification, 5.2.3).
const handshakeC1Size = 1536

// The seeds with enhanced-RTMP messages before connect: accept refuses
// them before gortmplib decodes any (no client sends media before publish).
// After authentication the same messages are decoded: the valid ones pass,
// the corrupt ones end the connection. The committed seed files are what
// the generator writes.
func TestAcceptEnhancedSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRTMPAccept")
	for _, s := range enhancedSeeds(t) {
		t.Run(s.name, func(t *testing.T) {
			in := s.bytes(t)
			if len(in) > maxPreAuthBytes {
				t.Fatalf("the seed is %d bytes, past the %d bytes read before authentication", len(in), maxPreAuthBytes)
			}
			if _, err := accept(struct {
				io.Reader
				io.Writer
			}{bytes.NewReader(in), io.Discard}); !errors.Is(err, errPreAuthMedia) {
				t.Errorf("accept: %v, want %v", err, errPreAuthMedia)
			}
			sess := acceptAuthenticated(t, publishThen(t, s.before...))
			var err error
			for range s.before {
				if _, err = sess.Read(); err != nil {
					break
				}
			}
			if got := err == nil; got != s.decodes {
				t.Errorf("after authentication: %v, want decoded %v", err, s.decodes)
			}
			file := filepath.Join(dir, "enhanced_"+s.name)
			want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", in)
			if *writeSeeds {
				if err := os.WriteFile(file, want, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or stale (err %v): run go test ./protocols/rtmp/ -run TestAcceptEnhancedSeeds -rtmp.writeseeds", file, err)
			}
		})
	}
}
