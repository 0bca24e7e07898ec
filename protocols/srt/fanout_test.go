package srt

import (
	"io"
	"log/slog"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/protocols/stream"
)

// TestSRTFanoutSlowReader: a reader whose queue is full loses chunks until
// the next keyframe, then gets whole GOPs again; the others lose nothing.
func TestSRTFanoutSlowReader(t *testing.T) {
	desc, units := demuxAll(t, sampleTS(t))
	conf, err := config.Parse("t.yml", []byte("paths:\n  cam: {}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	hub := stream.NewHub(confmap.Paths(func() *config.Conf { return conf }), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pub, err := hub.Publish("cam", desc, stream.SourceInfo{Protocol: "srt"})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	m := newMetrics(nil)
	f := &fanout{pub: pub, metrics: m, readers: map[*outReader]struct{}{}}
	fast, slow := f.add(), f.add()
	slow.ch = make(chan []byte, 3) // room for a few chunks only
	half := len(units) / 2
	for _, u := range units[:half] {
		f.consume(u)
		drain(fast.ch) // the fast reader keeps up
	}
	if testutil.ToFloat64(m.dropped) == 0 {
		t.Fatal("the slow reader dropped nothing")
	}
	for len(slow.ch) > 0 {
		<-slow.ch // the slow reader catches up
	}
	var resumed [][]byte
	for _, u := range units[half:] {
		f.consume(u)
		drain(fast.ch)
		for len(slow.ch) > 0 {
			resumed = append(resumed, <-slow.ch)
		}
	}
	if len(resumed) == 0 {
		t.Fatal("the slow reader got nothing after catching up")
	}
	if pid(resumed[0]) != 0 {
		t.Errorf("the slow reader resumed with a chunk of pid %d, want a keyframe chunk starting with the PAT", pid(resumed[0]))
	}
	f.remove(fast)
	f.remove(slow)
	if _, ok := <-fast.ch; ok {
		t.Error("remove did not close the queue")
	}
}

// TestSRTMuxOpus: Opus packets survive the round trip, one a unit, with
// their 48 kHz timestamps.
func TestSRTMuxOpus(t *testing.T) {
	f := &format.Opus{PayloadTyp: 96, ChannelCount: 2}
	medi := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{f}}
	m, err := newMuxer(&description.Session{Medias: []*description.Media{medi}})
	if err != nil {
		t.Fatal(err)
	}
	var ts []byte
	for i := range 10 {
		pkt := []byte{0xfc, byte(i), 2, 3} // CELT FB 20 ms, one frame
		chunk, join, err := m.write(&stream.Unit{Media: medi, Format: f, PTS: int64(i) * 960, AU: [][]byte{pkt}})
		if err != nil || !join {
			t.Fatalf("write: %v, join %v", err, join)
		}
		ts = append(ts, chunk...)
	}
	desc, units := demuxAll(t, ts)
	if got := desc.Medias[0].Formats[0].(*format.Opus).ChannelCount; got != 2 {
		t.Errorf("%d channels, want 2", got)
	}
	if len(units) != 10 {
		t.Fatalf("%d units, want 10", len(units))
	}
	for i, u := range units {
		if u.AU[0][1] != byte(i) || u.PTS-units[0].PTS != int64(i)*960 {
			t.Errorf("unit %d: packet %x PTS %d", i, u.AU[0], u.PTS-units[0].PTS)
		}
	}
}

func drain(ch chan []byte) {
	for len(ch) > 0 {
		<-ch
	}
}
