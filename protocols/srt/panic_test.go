package srt

import (
	"testing"

	"github.com/streamgate/streamgate/internal/panics"
)

// Issue 12: a panic in one caller's code (here the authenticator, reached
// with the user "boom") ends that caller only — its handshake is rejected
// (REJ_IPE) — and streamgate_panics_total{component="srt"} counts it; a
// publisher already streaming goes on and the next caller is served.
func TestSRTPanicEndsOnlyThatCaller(t *testing.T) {
	f := newFixture(t)
	pc, p := f.publisher(t, "cam", "")

	before := panics.Count("srt")
	if c, err := f.dial("publish:other:boom:x", ""); err == nil {
		c.Close()
		t.Fatal("the caller whose handler panicked was accepted")
	}
	if got := panics.Count("srt") - before; got != 1 {
		t.Errorf("streamgate_panics_total{component=srt} grew by %v, want 1", got)
	}

	publish(t, pc, 1)
	select {
	case <-p.Done():
		t.Fatal("the publication ended with the other caller's panic")
	default:
	}
	rc, err := f.dial("read:cam:rd:rdpass", "")
	if err != nil {
		t.Fatalf("a reader after the panic: %v", err)
	}
	rc.Close()
}
