package srt

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/streamgate/streamgate/protocols/stream"
)

// sampleTS is 3 s of 160x120 H.264 (main profile, B-frames, a keyframe a
// second) and mono 22.05 kHz AAC, made by ffmpeg (see testdata/README).
func sampleTS(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/sample.ts")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// demuxAll reads every unit of an MPEG-TS stream.
func demuxAll(t testing.TB, ts []byte) (*description.Session, []*stream.Unit) {
	t.Helper()
	d, err := newDemuxer(bytes.NewReader(ts), func(err error) { t.Logf("decode error: %v", err) })
	if err != nil {
		t.Fatalf("newDemuxer: %v", err)
	}
	var units []*stream.Unit
	d.write = func(u *stream.Unit) { units = append(units, u) }
	for {
		if err := d.Read(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("Read: %v", err)
			}
			return d.desc, units
		}
	}
}

// sampleMuxer demuxes the sample stream and gives its units and a muxer
// for all its medias.
func sampleMuxer(t *testing.T) ([]*stream.Unit, *muxer) {
	t.Helper()
	desc, units := demuxAll(t, sampleTS(t))
	m, err := newMuxer(desc)
	if err != nil {
		t.Fatal(err)
	}
	return units, m
}

func byFormat[F format.Format](units []*stream.Unit) []*stream.Unit {
	var out []*stream.Unit
	for _, u := range units {
		if _, ok := u.Format.(F); ok {
			out = append(out, u)
		}
	}
	return out
}

func TestSRTDemuxSample(t *testing.T) {
	desc, units := demuxAll(t, sampleTS(t))
	if len(desc.Medias) != 2 {
		t.Fatalf("%d medias, want 2", len(desc.Medias))
	}
	h := desc.Medias[0].Formats[0].(*format.H264)
	if sps, pps := h.SafeParams(); len(sps) == 0 || len(pps) == 0 {
		t.Errorf("SPS/PPS not copied into the format: %x %x", sps, pps)
	}
	a := desc.Medias[1].Formats[0].(*format.MPEG4Audio)
	if a.Config == nil || a.Config.SampleRate != 22050 || a.ClockRate() != 22050 {
		t.Fatalf("audio config %+v", a.Config)
	}
	video, audio := byFormat[*format.H264](units), byFormat[*format.MPEG4Audio](units)
	if len(video) != 30 {
		t.Errorf("%d video units, want 30", len(video))
	}
	if !h264.IsRandomAccess(video[0].AU) {
		t.Errorf("first video unit is not a keyframe")
	}
	// 3 s of audio in 1024-sample units, each its own unit, 1024 apart.
	if len(audio) < 60 {
		t.Errorf("%d audio units, want about 65", len(audio))
	}
	for i := 1; i < len(audio); i++ {
		if len(audio[i].AU) != 1 {
			t.Fatalf("audio unit %d has %d AUs", i, len(audio[i].AU))
		}
		// ±1: the PES timestamps are 90 kHz roundings.
		if d := audio[i].PTS - audio[i-1].PTS; d < 1023 || d > 1025 {
			t.Fatalf("audio PTS step %d at %d, want 1024 (sample-rate clock)", d, i)
		}
	}
	// Video PTS in 90 kHz: 10 fps → the smallest step is 9000.
	minStep := int64(1 << 62)
	for i := 1; i < len(video); i++ {
		if d := video[i].PTS - video[i-1].PTS; d > 0 && d < minStep {
			minStep = d
		}
	}
	if minStep != 9000 {
		t.Errorf("smallest video PTS step %d, want 9000", minStep)
	}
}

// TestMuxRoundTrip: units muxed for SRT readers demux to the same access
// units and timestamps (shifted by tsOffset).
func TestSRTMuxRoundTrip(t *testing.T) {
	units, m := sampleMuxer(t)
	var out bytes.Buffer
	joins := 0
	for _, u := range units {
		chunk, join, err := m.write(u)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		if len(chunk)%188 != 0 {
			t.Fatalf("chunk of %d bytes is not whole TS packets", len(chunk))
		}
		if join {
			joins++
			if chunk[0] != 0x47 || pid(chunk) != 0 {
				t.Errorf("join chunk does not start with the PAT (pid %d)", pid(chunk))
			}
		}
		out.Write(chunk)
	}
	if joins != 3 {
		t.Errorf("%d join points, want 3 (a keyframe a second)", joins)
	}
	_, back := demuxAll(t, out.Bytes())
	v1, v2 := byFormat[*format.H264](units), byFormat[*format.H264](back)
	if len(v1) != len(v2) {
		t.Fatalf("%d video units back, want %d", len(v2), len(v1))
	}
	for i := range v1 {
		if got, want := v2[i].PTS-v2[0].PTS, v1[i].PTS-v1[0].PTS; got != want {
			t.Errorf("video unit %d: relative PTS %d, want %d", i, got, want)
		}
		if !equalAU(v1[i].AU, v2[i].AU) {
			t.Errorf("video unit %d differs", i)
		}
	}
	a1, a2 := byFormat[*format.MPEG4Audio](units), byFormat[*format.MPEG4Audio](back)
	if len(a2) < len(a1)-2 {
		t.Errorf("%d audio units back, want about %d", len(a2), len(a1))
	}
}

// TestMuxAddsParameterSets: H.264 from RTSP often carries SPS/PPS only in
// the SDP; the muxer puts them in front of every keyframe.
func TestSRTMuxAddsParameterSets(t *testing.T) {
	desc, units := demuxAll(t, sampleTS(t))
	f := desc.Medias[0].Formats[0].(*format.H264)
	var stripped []*stream.Unit
	for _, u := range byFormat[*format.H264](units) {
		v := *u
		v.AU = nil
		for _, n := range u.AU {
			if typ := h264.NALUType(n[0] & 0x1f); typ != h264.NALUTypeSPS && typ != h264.NALUTypePPS {
				v.AU = append(v.AU, n)
			}
		}
		stripped = append(stripped, &v)
	}
	m, err := newMuxer(&description.Session{Medias: desc.Medias[:1]})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, u := range stripped {
		chunk, _, err := m.write(u)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(chunk)
	}
	_, back := demuxAll(t, out.Bytes())
	sps, pps := f.SafeParams()
	keys := 0
	for _, u := range back {
		if !h264.IsRandomAccess(u.AU) {
			continue
		}
		keys++
		if !containsNALU(u.AU, sps) || !containsNALU(u.AU, pps) {
			t.Errorf("keyframe without SPS/PPS")
		}
	}
	if keys != 3 {
		t.Errorf("%d keyframes, want 3", keys)
	}
}

// TestMuxWaitsForKeyframe: nothing is written before the first keyframe.
func TestSRTMuxWaitsForKeyframe(t *testing.T) {
	units, m := sampleMuxer(t)
	for i, u := range units {
		if _, ok := u.Format.(*format.H264); ok && h264.IsRandomAccess(u.AU) {
			units = units[i+1:]
			break
		}
	}
	for _, u := range units {
		chunk, join, err := m.write(u)
		if err != nil {
			t.Fatal(err)
		}
		if chunk != nil {
			if !join {
				t.Fatalf("the first chunk written is not a join point")
			}
			return
		}
	}
	t.Fatal("nothing written")
}

func TestSRTMuxerRejectsNoTracks(t *testing.T) {
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeAudio,
		Formats: []format.Format{&format.G711{PayloadTyp: 0, SampleRate: 8000, ChannelCount: 1}}}}}
	if muxable(desc) {
		t.Error("G.711 reported muxable")
	}
	if _, err := newMuxer(desc); !errors.Is(err, ErrNoTracks) {
		t.Errorf("newMuxer: %v, want ErrNoTracks", err)
	}
}

func pid(pkt []byte) uint16 { return uint16(pkt[1]&0x1f)<<8 | uint16(pkt[2]) }

func equalAU(a, b [][]byte) bool {
	// The muxer adds an access unit delimiter, the demuxer removes it.
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func containsNALU(au [][]byte, n []byte) bool {
	for _, x := range au {
		if bytes.Equal(x, n) {
			return true
		}
	}
	return false
}
