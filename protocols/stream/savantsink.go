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
	// RelayPeers sends streams relayed from cluster peers too
	// (cluster.relaySavant); by default only the owner's output gets one.
	RelayPeers bool
}

// Attach is a Hub.OnPublish hook.
func (o *SavantOutput) Attach(p *Publication) {
	if !p.Conf.Savant || (p.Source.Peer != "" && !o.RelayPeers) {
		return
	}
	// The first video track of a codec Savant takes.
	var video savantTrack
	for _, m := range p.Desc.Medias {
		for _, f := range m.Formats {
			if video != nil {
				break
			}
			switch f.(type) {
			case *format.H264, *format.H265:
				video = newVideoTrack(f)
			case *format.VP8, *format.VP9, *format.AV1, *format.MJPEG:
				if t := newFrameTrack(f); t != nil {
					video = t
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
	// Inline: building a frame and enqueueing it never waits, and a unit
	// does not wait for a goroutine to be scheduled (latency to Savant).
	p.AddInlineSink("savant", func(u *Unit) {
		if u.Format != video.track() {
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
		if video.begun() {
			_ = o.Writer.Enqueue(src.EndOfStream())
		}
	})
}

// savantTrack turns one video track's units into Savant frames.
type savantTrack interface {
	// track is the format whose units the track takes.
	track() format.Format
	// frame returns the frame u completes, if any.
	frame(u *Unit) (savant.Frame, bool)
	// begun reports whether a frame has been sent (an EndOfStream is due).
	begun() bool
}

func (t *videoTrack) track() format.Format { return t.format }
func (t *videoTrack) begun() bool          { return t.started }
func (t *frameTrack) track() format.Format { return t.format }
func (t *frameTrack) begun() bool          { return t.frames > 0 }

// videoTrack turns access units of one H.264/H.265 track into Savant frames.
type videoTrack struct {
	format    format.Format
	codec     string
	clockRate int64
	params    *ParamSets
	width     int
	height    int
	framerate string
	started   bool // first keyframe seen
	reorder   int  // frames the SPS says may be reordered
	fps       float64
	dts       *DTSClock
}

func newVideoTrack(f format.Format) *videoTrack {
	t := &videoTrack{format: f, clockRate: int64(f.ClockRate()), params: NewParamSets(f), codec: "h264"}
	if _, ok := f.(*format.H265); ok {
		t.codec = "hevc"
	}
	t.readSPS()
	return t
}

// readSPS takes the picture size and frame rate from the latest SPS.
func (t *videoTrack) readSPS() {
	nalu := t.params.SPS()
	if nalu == nil {
		return
	}
	if t.codec == "h264" {
		var s h264.SPS
		if s.Unmarshal(nalu) == nil {
			t.width, t.height = s.Width(), s.Height()
			t.reorder, t.fps = H264Reorder(&s)
		}
	} else {
		var s h265.SPS
		if s.Unmarshal(nalu) == nil {
			t.width, t.height = s.Width(), s.Height()
			t.reorder, t.fps = H265Reorder(&s)
		}
	}
	t.framerate = framerate(t.fps)
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
	if u.AU == nil {
		return savant.Frame{}, false
	}
	au, key, spsChanged := t.params.Complete(u.AU)
	if spsChanged {
		t.readSPS()
	}
	if !t.started && !key {
		return savant.Frame{}, false
	}
	if key && !t.started {
		t.started = true
		t.dts = NewDTSClock(t.reorder, FrameDuration(t.fps, t.clockRate))
	}
	size := 0
	for _, n := range au {
		size += len(startCode) + len(n)
	}
	data := make([]byte, 0, size)
	for _, n := range au {
		data = append(data, startCode...)
		data = append(data, n...)
	}
	dts := t.dts.Next(u.PTS, u.DTS, u.HasDTS)
	pts := max(0, toNs(u.PTS, t.clockRate))
	return savant.Frame{Codec: t.codec, Keyframe: key, PTS: pts, DTS: min(pts, toNs(dts, t.clockRate)),
		Width: t.width, Height: t.height, Framerate: t.framerate, Data: data}, true
}

// toNs converts a timestamp in clockRate units to nanoseconds without
// overflowing for long streams.
func toNs(v, clockRate int64) int64 {
	return (v/clockRate)*savant.TimeBase + (v%clockRate)*savant.TimeBase/clockRate
}
