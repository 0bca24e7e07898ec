package stream

import (
	"bytes"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// ParamSets keeps the latest parameter sets of an H.264 or H.265 track —
// those of the track's description, then those seen in-band — and puts the
// missing ones in front of keyframes, so that every keyframe can start a
// decoder (a reader joining mid-stream, a muxer extracting timestamps).
type ParamSets struct {
	h265 bool
	// sets are the VPS (H.265 only), SPS and PPS.
	sets [3][]byte
}

// NewParamSets returns the parameter sets of f, or nil when f is neither
// H.264 nor H.265.
func NewParamSets(f format.Format) *ParamSets {
	switch f := f.(type) {
	case *format.H264:
		sps, pps := f.SafeParams()
		return &ParamSets{sets: [3][]byte{nil, clone(sps), clone(pps)}}
	case *format.H265:
		vps, sps, pps := f.SafeParams()
		return &ParamSets{h265: true, sets: [3][]byte{clone(vps), clone(sps), clone(pps)}}
	}
	return nil
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// SPS is the latest sequence parameter set (nil before one is known).
func (p *ParamSets) SPS() []byte { return p.sets[1] }

// Complete records the parameter sets au carries and returns au, with the
// known sets it lacks in front when it is a keyframe; key reports a
// keyframe (IDR for H.264, IRAP for H.265); spsChanged reports a new SPS.
// au itself is not modified.
func (p *ParamSets) Complete(au [][]byte) (out [][]byte, key, spsChanged bool) {
	var inBand [3]bool
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		slot := -1
		if p.h265 {
			switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				slot = 0
			case h265.NALUType_SPS_NUT:
				slot = 1
			case h265.NALUType_PPS_NUT:
				slot = 2
			}
		} else {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeSPS:
				slot = 1
			case h264.NALUTypePPS:
				slot = 2
			case h264.NALUTypeIDR:
				key = true
			}
		}
		if slot < 0 {
			continue
		}
		inBand[slot] = true
		if !bytes.Equal(p.sets[slot], nalu) {
			p.sets[slot] = clone(nalu)
			spsChanged = spsChanged || slot == 1
		}
	}
	if p.h265 {
		key = h265.IsRandomAccess(au)
	}
	if !key {
		return au, false, spsChanged
	}
	var prefix [][]byte
	for i, s := range p.sets {
		if s != nil && !inBand[i] {
			prefix = append(prefix, s)
		}
	}
	if len(prefix) == 0 {
		return au, true, spsChanged
	}
	return append(prefix, au...), true, spsChanged
}
