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

// VPS is the latest video parameter set of an H.265 track (nil before
// one is known, and for H.264).
func (p *ParamSets) VPS() []byte { return p.sets[0] }

// SPS is the latest sequence parameter set (nil before one is known).
func (p *ParamSets) SPS() []byte { return p.sets[1] }

// PPS is the latest picture parameter set (nil before one is known).
func (p *ParamSets) PPS() []byte { return p.sets[2] }

// Complete records the parameter sets au carries and returns au without
// empty NAL units and, when it is a keyframe, with every known parameter
// set in front (VPS, SPS, PPS, after an access unit delimiter) so that a
// decoder can start there. key reports a keyframe (IDR for H.264, IRAP for
// H.265); spsChanged reports a new SPS. au itself is not modified: its
// slices are shared with other readers.
func (p *ParamSets) Complete(au [][]byte) (out [][]byte, key, spsChanged bool) {
	var inBand [3]bool
	aud, empty := false, false
	for i, nalu := range au {
		if len(nalu) == 0 {
			empty = true
			continue
		}
		slot := p.slot(nalu)
		switch {
		case slot == slotAUD:
			aud = aud || i == 0
		case slot == slotIDR:
			key = true
		case slot >= 0:
			inBand[slot] = true
			if !bytes.Equal(p.sets[slot], nalu) {
				p.sets[slot] = clone(nalu)
				spsChanged = spsChanged || slot == 1
			}
		}
	}
	complete := true
	for i, s := range p.sets {
		complete = complete && (s == nil || inBand[i])
	}
	if !empty && (!key || complete) {
		return au, key, spsChanged
	}
	out = make([][]byte, 0, len(au)+3)
	if aud {
		out, au = append(out, au[0]), au[1:]
	}
	if key {
		for _, s := range p.sets {
			if s != nil {
				out = append(out, s)
			}
		}
	}
	for _, nalu := range au {
		if len(nalu) > 0 && (!key || p.slot(nalu) < 0) {
			out = append(out, nalu)
		}
	}
	return out, key, spsChanged
}

// Slots of ParamSets.slot besides 0 (VPS), 1 (SPS) and 2 (PPS); slotIDR
// is a keyframe's slice (H.265: IDR or CRA).
const (
	slotOther = -1
	slotAUD   = -2
	slotIDR   = -3
)

// slot classifies a NAL unit: a parameter set's slot, an access unit
// delimiter, a keyframe's slice (H.264 IDR; H.265 IDR or CRA), or anything
// else.
func (p *ParamSets) slot(nalu []byte) int {
	if p.h265 {
		switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			return 0
		case h265.NALUType_SPS_NUT:
			return 1
		case h265.NALUType_PPS_NUT:
			return 2
		case h265.NALUType_AUD_NUT:
			return slotAUD
		case h265.NALUType_IDR_W_RADL, h265.NALUType_IDR_N_LP, h265.NALUType_CRA_NUT:
			// The random access pictures of h265.IsRandomAccess, which
			// cannot be called on an access unit with an empty NAL unit.
			return slotIDR
		}
		return slotOther
	}
	switch h264.NALUType(nalu[0] & 0x1f) {
	case h264.NALUTypeSPS:
		return 1
	case h264.NALUTypePPS:
		return 2
	case h264.NALUTypeIDR:
		return slotIDR
	case h264.NALUTypeAccessUnitDelimiter:
		return slotAUD
	}
	return slotOther
}
