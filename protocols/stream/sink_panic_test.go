package stream_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/panics"
	"github.com/streamgate/streamgate/protocols/stream"
)

// Issue 12: a sink whose consumer panics (one reader's fan-out, say) ends
// by itself — its close function runs, the panic is counted under
// component stream — while the publication and its other sinks go on.
func TestSinkPanicEndsThatSinkOnly(t *testing.T) {
	h := newHub(t, "paths:\n  cam: {}\n")
	p := mustPublish(t, h, "cam", stream.SourceInfo{Protocol: "rtsp"})
	before := panics.Count("stream")
	closed := make(chan struct{})
	p.AddSink("bad", 8, func(*stream.Unit) { panic("consumer bug") }, func() { close(closed) })
	var good atomic.Int64
	p.AddSink("good", 8, func(*stream.Unit) { good.Add(1) }, nil)

	u := &stream.Unit{Media: desc().Medias[0], AU: [][]byte{{5}}}
	p.WriteUnit(u)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the panicking sink did not end")
	}
	if got := panics.Count("stream") - before; got != 1 {
		t.Errorf("streamgate_panics_total{component=stream} grew by %v, want 1", got)
	}
	for i := 0; i < 3; i++ {
		p.WriteUnit(u)
	}
	deadline := time.Now().Add(5 * time.Second)
	for good.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("the other sink got %d units, want 4", good.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := h.Get("cam"); err != nil {
		t.Errorf("the publication ended: %v", err)
	}
}
