package stream_test

import (
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/protocols/stream"
)

// A reader joining asks the publisher for a keyframe; requests closer than
// KeyframeRequestGap are merged into one sent at the end of the gap, so a
// burst of joins costs the publisher two keyframes, not one each.
func TestKeyframeRequestOnJoin(t *testing.T) {
	h := newHub(t, "paths:\n  all_others:\n")
	p := mustPublish(t, h, "cam", stream.SourceInfo{Protocol: "webrtc"})
	var mu sync.Mutex
	var sent []time.Time
	p.SetKeyframeRequester(func() {
		mu.Lock()
		sent = append(sent, time.Now())
		mu.Unlock()
	})
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(sent)
	}
	for i := range 5 {
		if err := p.AddReader(i); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d keyframe requests right after 5 joins, want 1 (the others merged)", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for count() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the merged request was never sent")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	gap := sent[1].Sub(sent[0])
	mu.Unlock()
	if gap < stream.KeyframeRequestGap {
		t.Errorf("two requests %v apart, want at least %v", gap, stream.KeyframeRequestGap)
	}
	if n := count(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
