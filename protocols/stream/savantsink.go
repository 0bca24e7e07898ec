package stream

import (
	"fmt"
	"log/slog"
	"math"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/streamgate/streamgate/protocols/savant"
)

// Enqueuer is the Savant writer as the hub sees it: never waits.
type Enqueuer interface {
	Enqueue(m savant.Outgoing) error
}

// SavantOutput sends the video of every published path whose savant switch
// is on to the Savant writer: one VideoFrame per access unit, an EndOfStream
// when the publisher leaves.
type SavantOutput struct {
	Writer          Enqueuer
	ProtocolVersion string
	// Enabled reports the path's savant switch (default: on).
	Logger *slog.Logger
}

// Attach is a Hub.OnPublish hook.
func (o *SavantOutput) Attach(p *Publication) {
	if p.Conf.Savant != nil && !*p.Conf.Savant {
		return
	}
	var video *videoTrack
	for _, m := range p.Desc.Medias {
		for _, f := range m.Formats {
			switch f.(type) {
			case *format.H264, *format.H265:
				if video == nil {
					video = newVideoTrack(f)
				}
			}
		}
	}
	if video == nil {
		return // no video track: nothing for Savant
	}
	id := p.Conf.SavantSourceID
	if id == "" {
		id = p.Name
	}
	src := &savant.Source{ID: id, Labels: p.Conf.SavantLabels, ProtocolVersion: o.ProtocolVersion}
	p.AddSink("savant", 512, func(u *Unit) {
		if u.Format != video.format || u.AU == nil {
			return
		}
		frame, ok := video.frame(u)
		if !ok {
			return
		}
		out, err := src.VideoFrame(frame)
		if err != nil {
			o.Logger.Debug("savant frame skipped", "path", p.Name, "error", err)
			return
		}
		_ = o.Writer.Enqueue(out) // a full queue drops and counts
	}, func() {
		if video.started {
			_ = o.Writer.Enqueue(src.EndOfStream())
		}
	})
}

// videoTrack turns access units of one H.264/H.265 track into Savant frames.
type videoTrack struct {
	format    format.Format
	codec     string
	clockRate int64
	params    [][]byte // VPS (H.265), SPS, PPS: the latest seen
	width     int
	height    int
	framerate string
	started   bool // first keyframe seen
	dts264    *h264.DTSExtractor
	dts265    *h265.DTSExtractor
}

func newVideoTrack(f format.Format) *videoTrack {
	t := &videoTrack{format: f, clockRate: int64(f.ClockRate())}
	switch f := f.(type) {
	case *format.H264:
		t.codec = "h264"
		sps, pps := f.SafeParams()
		t.setParam(1, sps)
		t.setParam(2, pps)
	case *format.H265:
		t.codec = "hevc"
		vps, sps, pps := f.SafeParams()
		t.setParam(0, vps)
		t.setParam(1, sps)
		t.setParam(2, pps)
	}
	return t
}

// setParam stores a parameter set at slot i (0 VPS, 1 SPS, 2 PPS) and, for
// an SPS, the picture size and frame rate.
func (t *videoTrack) setParam(i int, nalu []byte) {
	if len(nalu) == 0 {
		return
	}
	if t.params == nil {
		t.params = make([][]byte, 3)
	}
	t.params[i] = append([]byte(nil), nalu...)
	if i != 1 {
		return
	}
	var fps float64
	if t.codec == "h264" {
		var s h264.SPS
		if s.Unmarshal(nalu) == nil {
			t.width, t.height, fps = s.Width(), s.Height(), s.FPS()
		}
	} else {
		var s h265.SPS
		if s.Unmarshal(nalu) == nil {
			t.width, t.height, fps = s.Width(), s.Height(), s.FPS()
		}
	}
	t.framerate = framerate(fps)
}

func framerate(fps float64) string {
	switch {
	case fps <= 0 || math.IsNaN(fps) || fps > 1000:
		return "30/1"
	case fps == math.Trunc(fps):
		return fmt.Sprintf("%d/1", int(fps))
	default:
		return fmt.Sprintf("%d/1000", int(math.Round(fps*1000)))
	}
}

var startCode = []byte{0, 0, 0, 1}

// frame builds the Savant frame of an access unit: Annex-B, with the
// parameter sets in front of every keyframe. Frames before the first
// keyframe are skipped (a decoder could not use them).
func (t *videoTrack) frame(u *Unit) (savant.Frame, bool) {
	key := false
	inBand := [3]bool{}
	for _, nalu := range u.AU {
		if len(nalu) == 0 {
			continue
		}
		if t.codec == "h264" {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeSPS:
				t.setParam(1, nalu)
				inBand[1] = true
			case h264.NALUTypePPS:
				t.setParam(2, nalu)
				inBand[2] = true
			case h264.NALUTypeIDR:
				key = true
			}
		} else {
			switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				t.setParam(0, nalu)
				inBand[0] = true
			case h265.NALUType_SPS_NUT:
				t.setParam(1, nalu)
				inBand[1] = true
			case h265.NALUType_PPS_NUT:
				t.setParam(2, nalu)
				inBand[2] = true
			}
		}
	}
	if t.codec == "hevc" {
		key = h265.IsRandomAccess(u.AU)
	}
	if !t.started && !key {
		return savant.Frame{}, false
	}
	if key && !t.started {
		t.started = true
		t.dts264, t.dts265 = &h264.DTSExtractor{}, &h265.DTSExtractor{}
		t.dts264.Initialize()
		t.dts265.Initialize()
	}
	size := 0
	var prefix [][]byte
	if key {
		for i, p := range t.params {
			if p != nil && !inBand[i] {
				prefix = append(prefix, p)
			}
		}
	}
	for _, n := range append(prefix, u.AU...) {
		size += len(startCode) + len(n)
	}
	data := make([]byte, 0, size)
	for _, n := range append(prefix, u.AU...) {
		data = append(data, startCode...)
		data = append(data, n...)
	}
	var dts int64
	var err error
	if t.codec == "h264" {
		dts, err = t.dts264.Extract(u.AU, u.PTS)
	} else {
		dts, err = t.dts265.Extract(u.AU, u.PTS)
	}
	if err != nil {
		dts = u.PTS
	}
	pts := max(0, toNs(u.PTS, t.clockRate))
	return savant.Frame{Codec: t.codec, Keyframe: key, PTS: pts, DTS: toNs(dts, t.clockRate),
		Width: t.width, Height: t.height, Framerate: t.framerate, Data: data}, true
}

// toNs converts a timestamp in clockRate units to nanoseconds without
// overflowing for long streams.
func toNs(v, clockRate int64) int64 {
	return (v/clockRate)*savant.TimeBase + (v%clockRate)*savant.TimeBase/clockRate
}
