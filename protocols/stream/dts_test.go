package stream

import "testing"

// frames gives display indexes in decoding order; the PTS is index × d.
func checkDTS(t *testing.T, name string, c *DTSClock, order []int, d int64, wantGrid bool) []int64 {
	t.Helper()
	var out []int64
	for k, i := range order {
		pts := int64(i) * d
		dts := c.Next(pts, 0, false)
		if dts > pts && (k == 0 || pts > out[k-1]) {
			t.Errorf("%s: unit %d: dts %d after pts %d", name, k, dts, pts)
		}
		if k > 0 && dts <= out[k-1] {
			t.Errorf("%s: unit %d: dts %d not after %d", name, k, dts, out[k-1])
		}
		if wantGrid && dts%d != 0 {
			t.Errorf("%s: unit %d: dts %d off the %d grid", name, k, dts, d)
		}
		out = append(out, dts)
	}
	return out
}

func TestDTSClockOrders(t *testing.T) {
	const d = 3600 // 25 fps at 90 kHz
	for _, tc := range []struct {
		name    string
		reorder int
		order   []int
	}{
		{"no B-frames", 0, []int{0, 1, 2, 3, 4, 5}},
		{"B-frames (x264 -bf 2, no pyramid)", 1, []int{0, 3, 1, 2, 6, 4, 5, 9, 7, 8}},
		{"B-pyramid", 2, []int{0, 4, 2, 1, 3, 8, 6, 5, 7, 9}},
		{"one B-frame then a new GOP", 1, []int{0, 2, 1, 3, 5, 4, 6, 7}},
		{"declared deeper than used", 3, []int{0, 2, 1, 3, 4, 5}},
	} {
		got := checkDTS(t, tc.name, NewDTSClock(tc.reorder, d), tc.order, d, true)
		if want := -int64(tc.reorder) * d; got[0] != want {
			t.Errorf("%s: first dts %d, want %d (reorder frames before the first pts)", tc.name, got[0], want)
		}
	}
}

// A stream that reorders more than its SPS says still gets strictly
// increasing DTS, after its PTS only where nothing else is possible.
func TestDTSClockUnderDeclared(t *testing.T) {
	checkDTS(t, "pyramid declared as 0", NewDTSClock(0, 3600), []int{0, 4, 2, 1, 3, 8, 6, 5, 7}, 3600, false)
	checkDTS(t, "no frame rate", NewDTSClock(2, 0), []int{0, 4, 2, 1, 3, 8, 6, 5, 7}, 3600, false)
}

// A carried DTS (RTMP, MPEG-TS) is kept where it is valid; one after its
// PTS or going back is replaced.
func TestDTSClockCarried(t *testing.T) {
	c := NewDTSClock(1, 3000)
	for i, u := range []struct{ pts, carried, want int64 }{
		{3000, 0, 0},
		{12000, 3000, 3000},
		{6000, 6000, 6000},
		{9000, 9000, 9000},
		{21000, 21500, 12000}, // after its PTS: computed instead
		{15000, 11000, 15000}, // going back: the computed one
	} {
		if got := c.Next(u.pts, u.carried, true); got != u.want {
			t.Errorf("unit %d: dts %d, want %d", i, got, u.want)
		}
	}
}
