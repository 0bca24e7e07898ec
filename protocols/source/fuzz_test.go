package source

import (
	"bytes"
	"io"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"github.com/streamgate/streamgate/internal/testharness"
	psrt "github.com/streamgate/streamgate/protocols/srt"
	"github.com/streamgate/streamgate/protocols/stream"
)

var (
	fuzzSPS = testharness.H264SPS()
	fuzzPPS = testharness.H264PPS()
)

// tsSample is a small valid MPEG-TS: an H.264 and an AAC track, a few units.
func tsSample(t testing.TB) []byte {
	var buf bytes.Buffer
	video := &mpegts.Track{PID: 256, Codec: &tscodecs.H264{}}
	audio := &mpegts.Track{PID: 257, Codec: &tscodecs.MPEG4Audio{Config: mpeg4audio.AudioSpecificConfig{
		Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100, ChannelConfig: 2}}}
	w := &mpegts.Writer{W: &buf, Tracks: []*mpegts.Track{video, audio}}
	if err := w.Initialize(); err != nil {
		t.Fatal(err)
	}
	for i := range int64(5) {
		if err := w.WriteH264(video, 90000*i/25, 90000*i/25, [][]byte{fuzzSPS, fuzzPPS, {0x65, 0x88, 0x84, byte(i)}}); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteMPEG4Audio(audio, 90000*i/25, [][]byte{{0x21, 0x10, 0x04, byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// chunkReader hands out the input in datagrams of 1316 bytes, as the UDP
// and SRT sources read it.
type chunkReader struct{ b []byte }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.b[:min(len(c.b), 1316)])
	c.b = c.b[n:]
	return n, nil
}

// FuzzTSSource feeds what a camera could send to a udp:// or srt://
// source through the demuxer path it reaches (mediacommon's MPEG-TS reader
// and the hub-unit mapping): it must end with an error, never panic nor
// hang.
func FuzzTSSource(f *testing.F) {
	sample := tsSample(f)
	f.Add(sample)
	f.Add(sample[:len(sample)/2])
	f.Add(append(append([]byte{}, sample[:376]...), bytes.Repeat([]byte{0x47, 0xff}, 400)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		dm, err := psrt.NewTSDemuxer(&chunkReader{b: data}, func(error) {})
		if err != nil {
			return
		}
		_ = dm.Run(func(u *stream.Unit) { _ = u.Size() })
	})
}
