package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	mp4codecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/internal/testharness"
)

// fmp4Init is an init segment as gohlslib's muxer writes it: an H.264
// track and an AAC one.
func fmp4Init(t testing.TB) []byte {
	t.Helper()
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{
		{ID: 1, TimeScale: 90000, Codec: &mp4codecs.H264{SPS: fuzzSPS, PPS: fuzzPPS}},
		{ID: 2, TimeScale: 44100, Codec: &mp4codecs.MPEG4Audio{Config: mpeg4audio.AudioSpecificConfig{
			Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100, ChannelConfig: 2}}},
	}}
	var buf seekablebuffer.Buffer
	if err := init.Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// box is a box of type typ around payload.
func box(typ string, payload []byte) []byte {
	return append(append(binary.BigEndian.AppendUint32(nil, uint32(8+len(payload))), typ...), payload...)
}

// junkNest is n boxes of type typ, each holding the next and then junk.
func junkNest(typ string, n int, junk []byte) []byte {
	var b []byte
	for range n {
		b = box(typ, append(b, junk...))
	}
	return b
}

// fmp4Segment is a media segment of two parts, each with both tracks.
func fmp4Segment(t testing.TB) []byte {
	t.Helper()
	var parts fmp4.Parts
	for i := range 2 {
		parts = append(parts, &fmp4.Part{SequenceNumber: uint32(i), Tracks: []*fmp4.PartTrack{
			{ID: 1, BaseTime: uint64(i) * 90000, Samples: []*fmp4.Sample{{Duration: 3600, Payload: []byte{0, 0, 0, 2, 0x65, 0x88}}}},
			{ID: 2, BaseTime: uint64(i) * 44100, Samples: []*fmp4.Sample{{Duration: 1024, Payload: []byte{0x21, 0x10}}}},
		}})
	}
	var buf seekablebuffer.Buffer
	if err := parts.Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nestBox wraps the first box of type typ in file in n more boxes of the
// same type, and fixes the sizes of the boxes around it (those of types
// outer, outermost first).
func nestBox(t testing.TB, file []byte, typ string, n int, outer ...string) []byte {
	t.Helper()
	i := bytes.Index(file, []byte(typ)) - 4
	if i < 0 {
		t.Fatalf("no %s box", typ)
	}
	size := int(binary.BigEndian.Uint32(file[i:]))
	total := size + 8*n
	var out []byte
	out = append(out, file[:i]...)
	for k := range n {
		out = binary.BigEndian.AppendUint32(out, uint32(total-8*k))
		out = append(out, typ...)
	}
	out = append(out, file[i:]...)
	for _, o := range outer {
		j := bytes.Index(out, []byte(o)) - 4
		binary.BigEndian.PutUint32(out[j:], binary.BigEndian.Uint32(out[j:])+uint32(8*n))
	}
	return out
}

// What gohlslib's muxer writes passes, and so do playlists and MPEG-TS
// (ffmpeg's fMP4: e2e TestSourceHLSOrigin/fmp4); a box in a box of its own
// type (which mediacommon reads, at a cost that grows with the square of
// the depth) is refused however the boxes around it are padded, and so is a
// file of more boxes than maxMP4Steps.
func TestCheckMP4(t *testing.T) {
	init, seg := fmp4Init(t), fmp4Segment(t)
	free := bytes.Repeat([]byte{0, 0, 0, 8, 'a', 'b', 'c', 'd'}, maxMP4Steps+1)
	for _, c := range []struct {
		name string
		file []byte
		want error
	}{
		{"init segment", init, nil},
		{"media segment", seg, nil},
		{"init segment, mdia in mdia", nestBox(t, init, "mdia", 1, "moov", "trak"), errMP4Refused},
		{"init segment, mdia in mdia 40 deep", nestBox(t, init, "mdia", 40, "moov", "trak"), errMP4Refused},
		{"init segment, minf in minf 40 deep", nestBox(t, init, "minf", 40, "moov", "trak", "mdia"), errMP4Refused},
		{"media segment, traf in traf 40 deep", nestBox(t, seg, "traf", 40, "moof"), errMP4Refused},
		{"over maxMP4Steps boxes", box("moov", free), errMP4Refused},
		// Where a sequence does not split into boxes cleanly a walk of its
		// own could stop, while go-mp4 reads on (an attacker's review).
		{"nested mdia, each beside a box of type 0", junkNest("mdia", 40, []byte{0, 0, 0, 8, 0, 0, 0, 0}), errMP4Refused},
		{"nested traf, each beside one junk byte", junkNest("traf", 40, []byte{0}), errMP4Refused},
		{"an unknown first box, then nested moov", append(box("zzzz", nil), junkNest("moov", 40, nil)...), errMP4Refused},
		{"ftyp, a box of a non-printable type, then nested moov", append(append(box("ftyp", []byte("isom")), 0, 0, 0, 8, 1, 2, 3, 4), junkNest("moov", 40, nil)...), errMP4Refused},
		{"a playlist", []byte("#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:1.000,\nseg0.ts\n"), nil},
		{"an MPEG-TS segment", tsSegment(t, 0), nil},
		{"nothing", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := checkMP4(c.file); !errors.Is(err, c.want) {
				t.Fatalf("checkMP4 = %v, want %v", err, c.want)
			}
		})
	}
}

// An HLS origin whose fMP4 init segment nests mdia boxes 40 000 deep (320
// KB; without the guard gohlslib's client spent 22 s of CPU on it, and a 10
// MB one would take hours and a stack that kills the process) is refused
// at its download: a source error naming it, and the source retried.
func TestHLSDeepInitRefused(t *testing.T) {
	deep := nestBox(t, fmp4Init(t), "mdia", 40000, "moov", "trak")
	seg := fmp4Segment(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.m3u8":
			var b strings.Builder
			fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"init.mp4\"\n")
			for k := range 3 {
				fmt.Fprintf(&b, "#EXTINF:1.000,\nseg%d.mp4\n", k)
			}
			_, _ = w.Write([]byte(b.String()))
		case "/init.mp4":
			_, _ = w.Write(deep)
		default:
			_, _ = w.Write(seg)
		}
	}))
	t.Cleanup(srv.Close)
	r, m, logs := testRunner(t, srv.URL+"/index.m3u8", runHLS)
	r.Start()
	t.Cleanup(r.Stop)
	testharness.WaitFor(t, "the deep init segment refused", 15*time.Second, func() bool {
		return strings.Contains(logs.String(), errMP4Refused.Error())
	})
	if n := testutil.ToFloat64(m.errors.WithLabelValues("hls")); n < 1 {
		t.Errorf("streamgate_source_errors_total{kind=hls} = %v, want ≥ 1", n)
	}
	if r.State() == StateReady {
		t.Error("the source is ready on a refused init segment")
	}
}

// FuzzCheckMP4: any bytes end the check (an answer, never a panic),
// and whatever they are, inside a moov box inside a moov box they do not
// pass.
func FuzzCheckMP4(f *testing.F) {
	f.Add(fmp4Init(f))
	f.Add(fmp4Segment(f))
	f.Add(nestBox(f, fmp4Init(f), "stbl", 8, "moov", "trak", "mdia", "minf"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = checkMP4(b)
		if checkMP4(junkNest("moov", 2, b)) == nil {
			t.Fatal("a moov box in a moov box passed")
		}
	})
}

// BenchmarkCheckMP4: what the check costs an init segment and a
// media segment of 2 MB (media data is not looked into), beside
// mediacommon's own parse of the same file (which gohlslib runs after the
// check); one op is one file.
func BenchmarkCheckMP4(b *testing.B) {
	var parts fmp4.Parts
	for i := range 50 {
		parts = append(parts, &fmp4.Part{SequenceNumber: uint32(i), Tracks: []*fmp4.PartTrack{
			{ID: 1, BaseTime: uint64(i) * 3600, Samples: []*fmp4.Sample{{Duration: 3600, Payload: make([]byte, 40<<10)}}},
			{ID: 2, BaseTime: uint64(i) * 1024, Samples: []*fmp4.Sample{{Duration: 1024, Payload: make([]byte, 300)}}},
		}})
	}
	var buf seekablebuffer.Buffer
	if err := parts.Marshal(&buf); err != nil {
		b.Fatal(err)
	}
	init, seg := fmp4Init(b), buf.Bytes()
	for _, c := range []struct {
		name  string
		file  []byte
		parse func([]byte) error
	}{
		{"init/check", init, checkMP4},
		{"init/mediacommon", init, func(f []byte) error { var i fmp4.Init; return i.Unmarshal(bytes.NewReader(f)) }},
		{"segment2MB/check", seg, checkMP4},
		{"segment2MB/mediacommon", seg, func(f []byte) error { var ps fmp4.Parts; return ps.Unmarshal(f) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.file)))
			b.ReportAllocs()
			for range b.N {
				if err := c.parse(c.file); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
