package stream_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/stream"
)

// fakeDemand publishes the path when started, as a pulled source does.
type fakeDemand struct {
	h    *stream.Hub
	name string

	mu             sync.Mutex
	pub            *stream.Publication
	starts, stops  int
	publishOnStart bool
	stoppedAt      time.Time
}

func (f *fakeDemand) Start() {
	f.mu.Lock()
	f.starts++
	publish := f.publishOnStart
	f.mu.Unlock()
	if !publish {
		return
	}
	// Synchronously, so that Stop always finds the publication.
	p, err := f.h.Publish(f.name, desc(), stream.SourceInfo{Protocol: "fakeSource", Pulled: true})
	if err != nil {
		return
	}
	f.mu.Lock()
	f.pub = p
	f.mu.Unlock()
}

func (f *fakeDemand) Stop() {
	f.mu.Lock()
	f.stops++
	f.stoppedAt = time.Now()
	p := f.pub
	f.pub = nil
	f.mu.Unlock()
	if p != nil {
		p.Close()
	}
}

func (f *fakeDemand) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts, f.stops
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testharness.WaitFor(t, what, 5*time.Second, cond)
}

// An on-demand Demand starts at the first Read (which waits for the
// publication), not before; it stops CloseAfter after the last reader left,
// not while a reader reads.
func TestDemandOnDemand(t *testing.T) {
	h := newHub(t, "paths:\n  cam: {}\n")
	f := &fakeDemand{h: h, name: "cam", publishOnStart: true}
	h.SetDemand("cam", f, stream.DemandOptions{OnDemand: true, StartTimeout: 5 * time.Second, CloseAfter: 50 * time.Millisecond, Exclusive: true})
	if s, _ := f.counts(); s != 0 {
		t.Fatalf("%d starts before any reader", s)
	}
	if _, err := h.Get("cam"); !errors.Is(err, stream.ErrNotPublished) {
		t.Fatalf("Get woke or found something: %v", err)
	}
	p, err := h.Read("cam", "")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if err := p.AddReader("r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Publish("cam", desc(), stream.SourceInfo{Protocol: "rtsp"}); !errors.Is(err, stream.ErrSourcePath) || !errors.Is(err, stream.ErrBusy) {
		t.Fatalf("a client publishing a pulled path: %v", err)
	}
	if _, err := h.Read("cam", ""); err != nil {
		t.Fatalf("second Read: %v", err)
	}
	if s, _ := f.counts(); s != 1 {
		t.Fatalf("%d starts for two readers, want 1", s)
	}
	time.Sleep(150 * time.Millisecond) // 3 × CloseAfter pass with a reader
	removed := time.Now()
	p.RemoveReader("r1")
	waitFor(t, "stop after the last reader", func() bool { _, st := f.counts(); return st == 1 })
	f.mu.Lock()
	early := f.stoppedAt.Before(removed)
	f.mu.Unlock()
	if early {
		t.Fatal("stopped while a reader was reading")
	}
	waitFor(t, "publication closed", func() bool { _, err := h.Get("cam"); return err != nil })
	// A new reader starts it again.
	if _, err := h.Read("cam", ""); err != nil {
		t.Fatalf("Read after the stop: %v", err)
	}
	if s, _ := f.counts(); s != 2 {
		t.Fatalf("%d starts, want 2", s)
	}
	if states := h.SourceStates(); len(states) != 0 {
		t.Fatalf("SourceStates without a State func: %v", states)
	}
}

// A Read of a path whose Demand does not publish gives up after
// StartTimeout; the on-demand Demand is then stopped after CloseAfter. A
// path without a Demand answers at once.
func TestDemandStartTimeout(t *testing.T) {
	h := newHub(t, "paths:\n  cam: {}\n  other: {}\n")
	f := &fakeDemand{h: h, name: "cam"}
	h.SetDemand("cam", f, stream.DemandOptions{OnDemand: true, StartTimeout: 50 * time.Millisecond, CloseAfter: 10 * time.Millisecond,
		State: func() string { return "connecting" }})
	if _, err := h.Read("cam", ""); !errors.Is(err, stream.ErrNotPublished) {
		t.Fatalf("Read of a source that never comes: %v", err)
	}
	waitFor(t, "stop after the timeout", func() bool { _, st := f.counts(); return st == 1 })
	if got := h.SourceStates()["cam"]; got != "connecting" {
		t.Fatalf("SourceStates: %q", got)
	}
	if _, err := h.Read("other", ""); !errors.Is(err, stream.ErrNotPublished) {
		t.Fatalf("Read without a Demand: %v", err)
	}
	h.RemoveDemand("cam")
	if _, err := h.Publish("cam", desc(), stream.SourceInfo{Protocol: "rtsp"}); err != nil {
		t.Fatalf("a client publishing once the source is gone: %v", err)
	}
}

// A Demand that is not on demand is never started nor stopped by the hub;
// readers wait for its publication (a source reconnecting).
func TestDemandAlwaysOnWait(t *testing.T) {
	h := newHub(t, "paths:\n  cam: {}\n")
	f := &fakeDemand{h: h, name: "cam"}
	h.SetDemand("cam", f, stream.DemandOptions{StartTimeout: 5 * time.Second, CloseAfter: time.Millisecond, Exclusive: true})
	got := make(chan error, 1)
	go func() {
		_, err := h.Read("cam", "")
		got <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the reader wait (it would also pass without)
	p := mustPublish(t, h, "cam", stream.SourceInfo{Protocol: "fakeSource", Pulled: true})
	if err := <-got; err != nil {
		t.Fatalf("the waiting reader: %v", err)
	}
	p.Close() // no timer is armed for an always-on Demand: nothing can come later
	if s, st := f.counts(); s != 0 || st != 0 {
		t.Fatalf("the hub started (%d) or stopped (%d) an always-on source", s, st)
	}
}

// A DemandFunc gives a Demand per requested name (runOnDemand on a ~regex
// path): made at the first Read, forgotten once stopped.
func TestDemandFunc(t *testing.T) {
	h := newHub(t, "paths:\n  ~^cam.*: {}\n")
	made := map[string]*fakeDemand{}
	h.SetDemandFunc(func(name, _ string) (stream.Demand, stream.DemandOptions, bool) {
		if name == "cam9" {
			return nil, stream.DemandOptions{}, false
		}
		f := &fakeDemand{h: h, name: name, publishOnStart: true}
		made[name] = f
		return f, stream.DemandOptions{OnDemand: true, StartTimeout: 5 * time.Second, CloseAfter: 10 * time.Millisecond}, true
	})
	if _, err := h.Read("cam9", ""); !errors.Is(err, stream.ErrNotPublished) {
		t.Fatalf("a name without a Demand: %v", err)
	}
	p, err := h.Read("cam1", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "cam1" || made["cam1"] == nil {
		t.Fatalf("publication %s, demands made %v", p.Name, made)
	}
	f := made["cam1"]
	waitFor(t, "stop without readers", func() bool { _, st := f.counts(); return st == 1 })
	if _, err := h.Read("cam1", ""); err != nil {
		t.Fatal(err)
	}
	if made["cam1"] == f {
		t.Fatal("the stopped Demand was reused: it should have been forgotten")
	}
}

// RemoveDemandOf removes name's Demand only while it is the one given: a
// retired Demand's late removal leaves its replacement alone.
func TestRemoveDemandOf(t *testing.T) {
	h := newHub(t, "paths:\n  cam: {}\n")
	old, repl := &fakeDemand{h: h, name: "cam"}, &fakeDemand{h: h, name: "cam", publishOnStart: true}
	h.SetDemand("cam", old, stream.DemandOptions{OnDemand: true, StartTimeout: time.Second, CloseAfter: time.Second})
	h.SetDemand("cam", repl, stream.DemandOptions{OnDemand: true, StartTimeout: time.Second, CloseAfter: time.Second})
	h.RemoveDemandOf("cam", old)
	if _, err := h.Read("cam", ""); err != nil {
		t.Fatalf("the replacement was removed: %v", err)
	}
	h.RemoveDemandOf("cam", repl)
	if st := h.SourceStates(); len(st) != 0 {
		t.Fatalf("states after removal: %v", st)
	}
	repl.Stop()
	if _, err := h.Read("cam", ""); !errors.Is(err, stream.ErrNotPublished) {
		t.Fatalf("Read after the removal: %v, want ErrNotPublished", err)
	}
}
