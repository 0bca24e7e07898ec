package stream_test

import (
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/stream"
)

// countingWriter counts what the Savant output enqueues.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Enqueue(savant.Outgoing) error { w.n.Add(1); return nil }

// TestSavantOutputRelayedStreams: a stream relayed from a cluster peer
// does not reach this instance's Savant output (the owner's does), unless
// RelayPeers (cluster.relaySavant); a local publisher's always does.
func TestSavantOutputRelayedStreams(t *testing.T) {
	sps, pps, idr := testharness.H264SPS(), testharness.H264PPS(), testharness.H264IDR()
	for _, c := range []struct {
		name       string
		src        stream.SourceInfo
		relayPeers bool
		want       bool
	}{
		{"local publisher", stream.SourceInfo{Protocol: "rtsp"}, false, true},
		{"relayed", stream.SourceInfo{Protocol: "clusterPeer", Pulled: true, Peer: "a"}, false, false},
		{"relayed with relaySavant", stream.SourceInfo{Protocol: "clusterPeer", Pulled: true, Peer: "a"}, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHub(t, "paths:\n  cam: {}\n")
			w := &countingWriter{}
			out := &stream.SavantOutput{Writer: w, Logger: slog.New(slog.DiscardHandler), RelayPeers: c.relayPeers}
			h.OnPublish(out.Attach)
			f := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
			m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
			p, err := h.Publish("cam", &description.Session{Medias: []*description.Media{m}}, c.src)
			if err != nil {
				t.Fatal(err)
			}
			p.WriteUnit(&stream.Unit{Media: m, Format: f, PTS: 0, AU: [][]byte{sps, pps, idr}})
			p.Close()
			if got := w.n.Load() > 0; got != c.want {
				t.Fatalf("Savant got %d messages, want some: %v", w.n.Load(), c.want)
			}
		})
	}
}
