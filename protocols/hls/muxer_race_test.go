package hls

import (
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/stream"
)

// The muxer is closed only once its sink has drained: closing gohlslib's
// muxer while the sink still writes into it was a data race (found by the
// network fuzzer on a race-enabled binary: Muxer.Close finalizing a part
// that WriteH264 was filling). Run with -race, this test publishes H.264
// access units and ends the publication, and stops an idle muxer, while
// units are still queued.
func TestMuxerCloseWhileWriting(t *testing.T) {
	sps, pps, idr := testharness.H264SPS(), testharness.H264PPS(), testharness.H264IDR()
	h := testHub(t)
	for round := range 20 {
		s := New(Config{MuxerCloseAfter: time.Hour, Variant: "fmp4", SegmentCount: 3, SegmentDuration: time.Second,
			PartDuration: 200 * time.Millisecond, SegmentMaxSize: 50 << 20}, &httpauth.Gate{}, h)
		f := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
		m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
		p, err := h.Publish("race", &description.Session{Medias: []*description.Media{m}}, stream.SourceInfo{Protocol: "test"})
		if err != nil {
			t.Fatal(err)
		}
		mx, err := s.muxerFor(p, false)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 600 {
			p.WriteUnit(&stream.Unit{Media: m, Format: f, PTS: int64(i) * 3000, AU: [][]byte{sps, pps, idr}})
		}
		if round%2 == 0 {
			p.Close() // the publisher leaves
		} else {
			s.Close() // the listener stops
			p.Close()
		}
		testharness.WaitFor(t, "the muxer closes", 3*time.Second, mx.isClosed)
		mx.sink.Wait()
		s.Close()
	}
}
