package hls

import (
	"log/slog"
	"testing"
	"time"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/httpauth"
	"github.com/streamgate/streamgate/protocols/stream"
)

func testHub(t *testing.T) *stream.Hub {
	t.Helper()
	c, err := config.Parse("hub.yml", []byte("paths:\n  all_others:\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return stream.NewHub(confmap.Paths(func() *config.Conf { return c }), nil, slog.New(slog.DiscardHandler))
}

func publish(t *testing.T, h *stream.Hub, name string) *stream.Publication {
	t.Helper()
	d := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo,
		Formats: []format.Format{&format.H264{PayloadTyp: 96, PacketizationMode: 1}}}}}
	p, err := h.Publish(name, d, stream.SourceInfo{Protocol: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func muxerCount(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.muxers)
}

// A muxer nobody asks anything of closes after MuxerCloseAfter and stops
// counting as a reader; one started by hlsAlwaysRemux stays until its
// publisher leaves; a publisher leaving closes its muxer.
func TestMuxerLifetime(t *testing.T) {
	h := testHub(t)
	s := New(Config{MuxerCloseAfter: 200 * time.Millisecond, AlwaysRemux: true}, &httpauth.Gate{}, h)
	defer s.Close()
	h.OnPublish(s.OnPublish)

	idle := publish(t, h, "idle")
	s.cfg.AlwaysRemux = false // "idle" was started by OnPublish; make the next one on demand
	demand := publish(t, h, "demand")
	if _, err := s.muxerFor(demand, false); err != nil {
		t.Fatal(err)
	}
	if n := muxerCount(s); n != 2 {
		t.Fatalf("%d muxers, want 2", n)
	}
	readers := func(name string) int {
		for _, p := range h.List() {
			if p.Name == name {
				return p.Readers
			}
		}
		return -1
	}
	if readers("demand") != 1 {
		t.Errorf("the muxer counts as %d readers, want 1", readers("demand"))
	}
	testharness.WaitFor(t, "the on-demand muxer closes when idle", 3*time.Second, func() bool { return muxerCount(s) == 1 })
	testharness.WaitFor(t, "the idle muxer stops counting as a reader", 3*time.Second, func() bool { return readers("demand") == 0 })
	// A later on-demand muxer closes for idleness too: the kept one, idle
	// for longer, would have closed before it.
	probe := publish(t, h, "probe")
	if _, err := s.muxerFor(probe, false); err != nil {
		t.Fatal(err)
	}
	testharness.WaitFor(t, "a later on-demand muxer closes when idle", 3*time.Second, func() bool { return muxerCount(s) == 1 })
	s.mu.Lock()
	_, kept := s.muxers["idle"]
	s.mu.Unlock()
	if !kept {
		t.Fatal("the hlsAlwaysRemux muxer closed for idleness")
	}
	idle.Close()
	testharness.WaitFor(t, "the muxer of a publisher that left closes", 3*time.Second, func() bool { return muxerCount(s) == 0 })
	demand.Close()
	probe.Close()
}

// VP9 and AV1 go to HLS in fMP4 (fmp4 and lowLatency variants), not in
// MPEG-TS; VP8 goes to no variant.
func TestHLSTrackCodecs(t *testing.T) {
	for _, c := range []struct {
		f          format.Format
		fmp4, mpts bool
	}{
		{&format.VP8{PayloadTyp: 96}, false, false},
		{&format.VP9{PayloadTyp: 96}, true, false},
		{&format.AV1{PayloadTyp: 96}, true, false},
		{&format.H264{PayloadTyp: 96, PacketizationMode: 1}, true, true},
	} {
		if got := hlsTrack(c.f, gohlslib.MuxerVariantFMP4) != nil; got != c.fmp4 {
			t.Errorf("%s in fMP4: %v, want %v", c.f.Codec(), got, c.fmp4)
		}
		if got := hlsTrack(c.f, gohlslib.MuxerVariantLowLatency) != nil; got != c.fmp4 {
			t.Errorf("%s in Low-Latency: %v, want %v", c.f.Codec(), got, c.fmp4)
		}
		if got := hlsTrack(c.f, gohlslib.MuxerVariantMPEGTS) != nil; got != c.mpts {
			t.Errorf("%s in MPEG-TS: %v, want %v", c.f.Codec(), got, c.mpts)
		}
	}
}
