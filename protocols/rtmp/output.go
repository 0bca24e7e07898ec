package rtmp

import (
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"

	"github.com/streamgate/streamgate/protocols/stream"
)

// output turns a publication's units into RTMP messages for one reader: the
// metadata and sequence headers first, then video from a keyframe on (with
// its parameter sets in front), audio once video has started. Timestamps
// start at zero at the first keyframe.
type output struct {
	conn  gortmplib.Conn
	w     *gortmplib.Writer
	video format.Format // *format.H264, *format.H265, *format.AV1 or *format.VP9; nil: none
	audio format.Format // *format.MPEG4Audio or *format.Opus; nil: none

	vtrack, atrack *gortmplib.Track
	params         [3][]byte // VPS (H.265), SPS, PPS: the latest seen
	dts264         *h264.DTSExtractor
	dts265         *h265.DTSExtractor
	started        bool
	waitKey        bool // units were dropped: skip video to the next keyframe
	base           time.Duration
}

// newOutput picks the first video and the first audio track RTMP can carry;
// nil when there is none.
func newOutput(desc *description.Session, conn gortmplib.Conn) *output {
	o := &output{conn: conn}
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			switch f := f.(type) {
			case *format.H264:
				if o.video == nil {
					o.video = f
					sps, pps := f.SafeParams()
					o.params = [3][]byte{nil, sps, pps}
				}
			case *format.H265:
				if o.video == nil {
					o.video = f
					vps, sps, pps := f.SafeParams()
					o.params = [3][]byte{vps, sps, pps}
				}
			case *format.AV1, *format.VP9:
				if o.video == nil {
					o.video = f
				}
			case *format.MPEG4Audio:
				if o.audio == nil && f.Config != nil {
					o.audio = f
				}
			case *format.Opus:
				if o.audio == nil {
					o.audio = f
				}
			}
		}
	}
	if o.video == nil && o.audio == nil {
		return nil
	}
	return o
}

func (o *output) tracks() []string {
	var out []string
	for _, f := range []format.Format{o.video, o.audio} {
		if f != nil {
			out = append(out, f.Codec())
		}
	}
	return out
}

// resync is called after units were dropped.
func (o *output) resync() {
	if o.video != nil {
		o.waitKey = true
	}
}

func (o *output) write(u *stream.Unit) error {
	if u.AU == nil {
		return nil
	}
	switch u.Format {
	case o.video:
		return o.writeVideo(u)
	case o.audio:
		return o.writeAudio(u)
	}
	return nil
}

func (o *output) writeVideo(u *stream.Unit) error {
	switch o.video.(type) {
	case *format.AV1, *format.VP9:
		return o.writeFrames(u)
	}
	h264Track := isH264(o.video)
	au, key := o.withParams(u.AU, h264Track)
	if !o.started || o.waitKey {
		if !key || o.params[1] == nil || o.params[2] == nil || (!h264Track && o.params[0] == nil) {
			return nil
		}
		o.dts264, o.dts265 = nil, nil
		if h264Track {
			o.dts264 = &h264.DTSExtractor{}
			o.dts264.Initialize()
		} else {
			o.dts265 = &h265.DTSExtractor{}
			o.dts265.Initialize()
		}
	}
	var dts int64
	var err error
	if h264Track {
		dts, err = o.dts264.Extract(au, u.PTS)
	} else {
		dts, err = o.dts265.Extract(au, u.PTS)
	}
	if err != nil {
		o.waitKey = true
		return nil // undecodable from here: wait for the next keyframe
	}
	o.waitKey = false
	rate := o.video.ClockRate()
	if !o.started {
		o.base = fromClock(dts, rate)
		if err := o.start(); err != nil {
			return err
		}
	}
	pts, dtsD := fromClock(u.PTS, rate)-o.base, fromClock(dts, rate)-o.base
	if dtsD < 0 {
		return nil
	}
	if h264Track {
		return o.w.WriteH264(o.vtrack, pts, dtsD, au)
	}
	return o.w.WriteH265(o.vtrack, pts, dtsD, au)
}

// writeFrames sends an AV1 or VP9 track (enhanced RTMP): from a keyframe
// on, each unit at its PTS (neither codec reorders frames; the sequence
// header an AV1 keyframe carries in band is what decoders use).
func (o *output) writeFrames(u *stream.Unit) error {
	_, isAV1 := o.video.(*format.AV1)
	if isAV1 && !carriableAV1(u.AU) {
		o.waitKey = true // what follows refers to it
		return nil
	}
	if !o.started || o.waitKey {
		key := av1.IsRandomAccess2(u.AU)
		if !isAV1 {
			key = len(u.AU) == 1 && vp9.IsRandomAccess(u.AU[0])
		}
		if !key {
			return nil
		}
		o.waitKey = false
	}
	rate := o.video.ClockRate()
	if !o.started {
		o.base = fromClock(u.PTS, rate)
		if err := o.start(); err != nil {
			return err
		}
	}
	pts := fromClock(u.PTS, rate) - o.base
	switch {
	case pts < 0:
		return nil
	case isAV1:
		return o.w.WriteAV1(o.vtrack, pts, u.AU)
	case len(u.AU) == 1:
		return o.w.WriteVP9(o.vtrack, pts, u.AU[0])
	}
	return nil
}

// carriableAV1: gortmplib's writer takes every OBU of tu. It refuses an
// empty one, the forbidden bit and extension headers (scalable streams from
// WHIP or RTSP publishers): such a temporal unit is skipped rather than the
// reader's connection ended.
func carriableAV1(tu [][]byte) bool {
	for _, obu := range tu {
		var h av1.OBUHeader
		if h.Unmarshal(obu) != nil {
			return false
		}
	}
	return true
}

func isH264(f format.Format) bool {
	_, ok := f.(*format.H264)
	return ok
}

// withParams records in-band parameter sets and puts the latest ones in
// front of a keyframe that lacks them.
func (o *output) withParams(au [][]byte, isH264 bool) ([][]byte, bool) {
	var inBand [3]bool
	key := false
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		slot := -1
		if isH264 {
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				slot = 1
			case h264.NALUTypePPS:
				slot = 2
			case h264.NALUTypeIDR:
				key = true
			}
		} else {
			switch h265.NALUType((n[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				slot = 0
			case h265.NALUType_SPS_NUT:
				slot = 1
			case h265.NALUType_PPS_NUT:
				slot = 2
			}
		}
		if slot >= 0 {
			o.params[slot], inBand[slot] = n, true
		}
	}
	if !isH264 {
		key = h265.IsRandomAccess(au)
	}
	if !key {
		return au, false
	}
	var prefix [][]byte
	for i, p := range o.params {
		if p != nil && !inBand[i] {
			prefix = append(prefix, p)
		}
	}
	if len(prefix) == 0 {
		return au, true
	}
	return append(prefix, au...), true
}

func (o *output) writeAudio(u *stream.Unit) error {
	rate := o.audio.ClockRate()
	if !o.started {
		if o.video != nil {
			return nil // audio joins once video has started
		}
		o.base = fromClock(u.PTS, rate)
		if err := o.start(); err != nil {
			return err
		}
	}
	for i, au := range u.AU {
		switch o.audio.(type) {
		case *format.MPEG4Audio:
			pts := fromClock(u.PTS+int64(i)*mpeg4audio.SamplesPerAccessUnit, rate) - o.base
			if pts < 0 {
				continue
			}
			if err := o.w.WriteMPEG4Audio(o.atrack, pts, au); err != nil {
				return err
			}
		case *format.Opus:
			pts := fromClock(u.PTS, rate) - o.base
			if pts < 0 {
				continue
			}
			if err := o.w.WriteOpus(o.atrack, pts, au); err != nil {
				return err
			}
		}
	}
	return nil
}

// start sends the metadata and the sequence headers.
func (o *output) start() error {
	var tracks []*gortmplib.Track
	switch o.video.(type) {
	case *format.H264:
		o.vtrack = &gortmplib.Track{Codec: &codecs.H264{SPS: o.params[1], PPS: o.params[2]}}
	case *format.H265:
		o.vtrack = &gortmplib.Track{Codec: &codecs.H265{VPS: o.params[0], SPS: o.params[1], PPS: o.params[2]}}
	case *format.AV1:
		o.vtrack = &gortmplib.Track{Codec: &codecs.AV1{}}
	case *format.VP9:
		o.vtrack = &gortmplib.Track{Codec: &codecs.VP9{}}
	}
	if o.vtrack != nil {
		tracks = append(tracks, o.vtrack)
	}
	switch f := o.audio.(type) {
	case *format.MPEG4Audio:
		o.atrack = &gortmplib.Track{Codec: &codecs.MPEG4Audio{Config: f.Config}}
	case *format.Opus:
		o.atrack = &gortmplib.Track{Codec: &codecs.Opus{ChannelCount: f.ChannelCount}}
	}
	if o.atrack != nil {
		tracks = append(tracks, o.atrack)
	}
	o.w = &gortmplib.Writer{Conn: o.conn, Tracks: tracks}
	o.started = true
	return o.w.Initialize()
}
