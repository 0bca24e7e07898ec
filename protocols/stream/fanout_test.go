package stream

import "testing"

// A full queue drops for that reader only, flags it for a resync, and
// counts the drop; close keeps what was queued and refuses new readers.
func TestFanoutDrops(t *testing.T) {
	f := &Fanout{readers: map[*Reader]struct{}{}}
	drops := 0
	slow := NewReader(1, func() { drops++ })
	fast := NewReader(10, nil)
	f.Add(slow)
	f.Add(fast)
	for range 3 {
		f.push(&Unit{})
	}
	if !slow.Dropped() || slow.Dropped() || fast.Dropped() || len(fast.Queue) != 3 || drops != 2 {
		t.Errorf("slow/fast drops wrong: %d drops, %d queued for fast", drops, len(fast.Queue))
	}
	f.close()
	if _, ok := <-fast.Queue; !ok {
		t.Error("queued units lost at close")
	}
	if f.Add(NewReader(1, nil)) {
		t.Error("a reader joined a closed fan-out")
	}
}
