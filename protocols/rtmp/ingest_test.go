package rtmp

import (
	"log/slog"
	"testing"
	"time"

	"github.com/abema/go-mp4"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"

	"github.com/streamgate/streamgate/protocols/stream"
)

// A track of a codec the hub does not carry (MP3 here: ffmpeg's default
// FLV audio when built with libmp3lame) is left out of the publication and
// its data dropped. gortmplib's Reader calls a callback for every track it
// found: with none registered for the MP3 track, its first frame after the
// probe was a nil function call, a panic that ended the publisher's
// connection.
func TestIngestDropsUnsupportedTracks(t *testing.T) {
	vp9Key := []byte{0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6}
	msgs := []message.Message{
		&message.DataAMF0{ChunkStreamID: 4, MessageStreamID: 1, Payload: []any{"@setDataFrame", "onMetaData",
			amf0.Object{{Key: "videocodecid", Value: float64(message.FourCCVP9)}, {Key: "audiocodecid", Value: float64(2)}}}},
		&message.VideoExSequenceStart{ChunkStreamID: 6, MessageStreamID: 1, FourCC: message.FourCCVP9, VP9Config: &mp4.VpcC{}},
	}
	for i := range 4 {
		dts := time.Duration(i) * 40 * time.Millisecond
		msgs = append(msgs,
			&message.Audio{ChunkStreamID: 4, MessageStreamID: 1, DTS: dts, Codec: message.CodecMPEG1Audio,
				Rate: message.AudioRate44100, Depth: message.AudioDepth16, IsStereo: true, AU: []byte{0xff, 0xfb, 0x90, 0x00}},
			&message.VideoExCodedFrames{ChunkStreamID: 6, MessageStreamID: 1, DTS: dts, FourCC: message.FourCCVP9, Payload: vp9Key})
	}
	r, err := newReader(&scriptConn{msgs: msgs})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tracks()) != 2 {
		t.Fatalf("gortmplib found %d tracks, want VP9 and MP3", len(r.Tracks()))
	}
	desc, attach := Ingest(r)
	if len(desc.Medias) != 1 {
		t.Fatalf("%d medias, want the VP9 one", len(desc.Medias))
	}
	hub := stream.NewHub(func(string) (*stream.PathOptions, bool) { return &stream.PathOptions{Publisher: true}, true },
		nil, slog.New(slog.DiscardHandler))
	p, err := hub.Publish("cam", desc, stream.SourceInfo{Protocol: "rtmp"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	units := 0
	p.AddInlineSink("test", func(*stream.Unit) { units++ }, nil)
	attach(p)
	for r.Read() == nil {
	}
	if units != 4 {
		t.Errorf("%d units published, want the 4 VP9 frames", units)
	}
}
