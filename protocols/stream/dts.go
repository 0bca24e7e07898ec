package stream

import (
	"container/heap"
	"math"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// DTSClock gives the access units of one video track the decoding
// timestamps a decoder expects: never after the unit's PTS, strictly
// increasing, and on the stream's frame grid.
//
// With reorder depth N (the number of frames that may precede a frame in
// decoding order and follow it in display order), the frame of display
// index k−N has been received by the time the frame of decoding index k
// arrives, and it is the smallest PTS not yet used as a DTS. So the DTS of
// the k-th unit is that PTS: a PTS of the stream (on its grid), increasing,
// and never after the unit's own. The first N units get the first PTS minus
// (N−k) frame durations. N comes from the SPS (H.264 VUI
// max_num_reorder_frames, or 0 without picture reordering; H.265
// sps_max_num_reorder_pics). A stream that reorders more than it declares
// still gets strictly increasing DTS; the unit that shows it may get a DTS
// after its PTS (nothing else is possible then), and the depth grows by one.
//
// A publisher that carries its own DTS (RTMP, SRT's MPEG-TS) keeps it where
// it meets the same rules.
type DTSClock struct {
	reorder  int
	duration int64 // one frame in clock units (0: unknown)
	pending  ptsHeap
	count    int // units given a DTS
	first    int64
	last     int64
}

// NewDTSClock returns a clock for a track whose frames last duration clock
// units (0 when unknown) and that reorders at most reorder frames.
func NewDTSClock(reorder int, duration int64) *DTSClock {
	return &DTSClock{reorder: max(reorder, 0), duration: max(duration, 0)}
}

// Next returns the DTS of the next unit in decoding order. carried, when
// ok, is the DTS the publisher sent with it.
func (c *DTSClock) Next(pts int64, carried int64, ok bool) int64 {
	var dts int64
	heap.Push(&c.pending, pts)
	if len(c.pending) > maxReorder+1 {
		heap.Pop(&c.pending) // a carried DTS that lags its PTS by more than any decoder buffers
	}
	switch {
	case c.count > 0 && pts <= c.last:
		// The stream reorders more than it declared: no DTS can be both
		// after the last one and not after this PTS. Keep the order (a
		// decoder needs it), and keep one more frame pending from now on.
		c.reorder++
		dts = c.last + 1
	case ok && carried <= pts && (c.count == 0 || carried > c.last):
		dts = carried
		c.drain(carried)
	case c.count < c.reorder:
		if c.count == 0 {
			c.first = pts
		}
		dts = c.first - int64(c.reorder-c.count)*c.step()
	default:
		dts = heap.Pop(&c.pending).(int64)
	}
	dts = min(dts, pts)
	if c.count > 0 && dts <= c.last {
		dts = c.last + 1 // pts > last here: still not after the PTS
	}
	c.count++
	c.last = dts
	return dts
}

// drain forgets the PTS that a carried DTS has passed.
func (c *DTSClock) drain(dts int64) {
	for len(c.pending) > 0 && c.pending[0] <= dts {
		heap.Pop(&c.pending)
	}
}

func (c *DTSClock) step() int64 {
	if c.duration > 0 {
		return c.duration
	}
	return 1
}

// ptsHeap is a min-heap of PTS (at most reorder+1 entries).
type ptsHeap []int64

func (h ptsHeap) Len() int           { return len(h) }
func (h ptsHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h ptsHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *ptsHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *ptsHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// maxReorder bounds the reorder depth an SPS may declare (the DPB holds 16
// frames at most).
const maxReorder = 16

// H264Reorder returns the reorder depth and the frame rate an H.264 SPS
// declares (fps 0 when it does not say).
func H264Reorder(s *h264.SPS) (reorder int, fps float64) {
	fps = s.FPS()
	switch {
	case s.PicOrderCntType == 2:
		return 0, fps // display order is decoding order
	case s.VUI != nil && s.VUI.BitstreamRestriction != nil:
		return min(int(s.VUI.BitstreamRestriction.MaxNumReorderFrames), maxReorder), fps
	}
	// Not declared: as many frames as the references it keeps.
	return min(int(s.MaxNumRefFrames), maxReorder), fps
}

// H265Reorder returns the reorder depth and the frame rate an H.265 SPS
// declares (fps 0 when it does not say).
func H265Reorder(s *h265.SPS) (reorder int, fps float64) {
	if n := len(s.MaxNumReorderPics); n > 0 {
		reorder = min(int(s.MaxNumReorderPics[n-1]), maxReorder)
	}
	return reorder, s.FPS()
}

// FrameDuration is one frame at fps in units of clockRate (0 when fps is
// not a usable rate).
func FrameDuration(fps float64, clockRate int64) int64 {
	if fps <= 0 || fps > 1000 || math.IsNaN(fps) {
		return 0
	}
	return int64(math.Round(float64(clockRate) / fps))
}
