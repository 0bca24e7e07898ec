package stream_test

import (
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/protocols/stream"
)

func newHub(t *testing.T, yaml string) *stream.Hub {
	t.Helper()
	c, err := config.Parse("hub.yml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	return stream.NewHub(confmap.Paths(func() *config.Conf { return c }), nil, slog.New(slog.DiscardHandler))
}

// mustPublish publishes name with desc() as src, or fails the test; the
// publication is closed when the test ends (if the test did not close it).
func mustPublish(t *testing.T, h *stream.Hub, name string, src stream.SourceInfo) *stream.Publication {
	t.Helper()
	p, err := h.Publish(name, desc(), src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func desc() *description.Session {
	return &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo,
		Formats: []format.Format{&format.H264{PayloadTyp: 96, PacketizationMode: 1}}}}}
}

func TestPublishRules(t *testing.T) {
	h := newHub(t, `
paths:
  cam: {maxReaders: 1}
  ~^over.*: {overridePublisher: yes}
`)
	if _, err := h.Publish("nothere", desc(), stream.SourceInfo{}); !errors.Is(err, stream.ErrNoPath) {
		t.Fatalf("unconfigured path: %v", err)
	}
	p := mustPublish(t, h, "cam", stream.SourceInfo{Protocol: "rtsp"})
	if _, err := h.Publish("cam", desc(), stream.SourceInfo{}); !errors.Is(err, stream.ErrBusy) {
		t.Fatalf("second publisher: %v", err)
	}
	if err := p.AddReader("r1"); err != nil {
		t.Fatal(err)
	}
	if err := p.AddReader("r2"); !errors.Is(err, stream.ErrTooManyReaders) {
		t.Fatalf("reader over maxReaders: %v", err)
	}
	if got := h.List(); len(got) != 1 || got[0].Readers != 1 || got[0].Tracks[0] != "H264" {
		t.Fatalf("list %+v", got)
	}
	p.Close()
	if _, err := h.Get("cam"); !errors.Is(err, stream.ErrNotPublished) {
		t.Fatalf("after close: %v", err)
	}
	first, _ := h.Publish("override1", desc(), stream.SourceInfo{})
	second, err := h.Publish("override1", desc(), stream.SourceInfo{})
	if err != nil {
		t.Fatalf("overridePublisher: %v", err)
	}
	select {
	case <-first.Done():
	case <-time.After(time.Second):
		t.Fatal("the replaced publication did not end")
	}
	second.Close()
}

// A stalled consumer drops units; the publisher and the other consumers go on.
func TestSlowSinkNeverBlocks(t *testing.T) {
	h := newHub(t, "paths:\n  all_others:\n")
	p, _ := h.Publish("cam", desc(), stream.SourceInfo{})
	stall := make(chan struct{})
	p.AddSink("slow", 4, func(*stream.Unit) { <-stall }, nil)
	var got int
	var mu sync.Mutex
	fast := p.AddSink("fast", 2000, func(*stream.Unit) { mu.Lock(); got++; mu.Unlock() }, nil)
	start := time.Now()
	for i := 0; i < 1000; i++ {
		p.WriteUnit(&stream.Unit{AU: [][]byte{{1}}})
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the publisher was held up by a stalled sink")
	}
	p.RemoveSink(fast)
	fast.Wait()
	mu.Lock()
	defer mu.Unlock()
	if got != 1000 {
		t.Fatalf("fast sink got %d of 1000", got)
	}
	close(stall)
	p.Close()
}

// Writers racing Close never push into a closed queue (run with -race).
func TestConcurrentWriteAndClose(t *testing.T) {
	h := newHub(t, "paths:\n  all_others:\n")
	for round := 0; round < 50; round++ {
		p := mustPublish(t, h, "cam", stream.SourceInfo{})
		closed := make(chan struct{})
		p.AddSink("s", 1, func(*stream.Unit) {}, func() { close(closed) })
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Go(func() {
				for i := 0; i < 200; i++ {
					p.WriteUnit(&stream.Unit{})
				}
			})
		}
		p.Close()
		wg.Wait()
		<-closed
	}
}

// A name that breaks the naming rules never becomes a publication (nor a
// Savant source_id), even under all_others and whatever a listener checked.
func TestPublishRefusesBadNames(t *testing.T) {
	h := newHub(t, "paths:\n  all_others:\n")
	for _, name := range []string{"cams/../secret", "cams/..", "cams/x\x00", "cams//x", "/cams/x", "cams/x/", ""} {
		if p, err := h.Publish(name, desc(), stream.SourceInfo{}); !errors.Is(err, authz.ErrPathName) {
			t.Errorf("Publish(%q) = %v, %v; want authz.ErrPathName", name, p, err)
		}
	}
	if len(h.List()) != 0 {
		t.Errorf("publications: %v", h.List())
	}
}
