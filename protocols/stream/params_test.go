package stream

import (
	"slices"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
)

// Keyframes get every known parameter set in front (after an AUD), in-band
// sets replace known ones, empty NAL units go, other units pass as they are.
func TestParamSetsH264(t *testing.T) {
	sps, pps := []byte{0x67, 1}, []byte{0x68, 1}
	aud, idr, non := []byte{0x09, 0xf0}, []byte{0x65, 1}, []byte{0x41, 1}
	p := NewParamSets(&format.H264{PayloadTyp: 96, SPS: sps, PPS: pps})
	newSPS := []byte{0x67, 2}
	for i, c := range []struct {
		in, want   [][]byte
		key, spsCh bool
	}{
		{[][]byte{non}, [][]byte{non}, false, false},
		{[][]byte{idr}, [][]byte{sps, pps, idr}, true, false},
		{[][]byte{aud, idr}, [][]byte{aud, sps, pps, idr}, true, false},
		{[][]byte{{}, newSPS, idr}, [][]byte{newSPS, pps, idr}, true, true},
		{[][]byte{idr}, [][]byte{newSPS, pps, idr}, true, false},
		{[][]byte{non, {}}, [][]byte{non}, false, false},
		{[][]byte{newSPS, pps, idr}, [][]byte{newSPS, pps, idr}, true, false},
	} {
		got, key, ch := p.Complete(c.in)
		if !slices.EqualFunc(got, c.want, slices.Equal) || key != c.key || ch != c.spsCh {
			t.Errorf("step %d: Complete(%x) = %x, %v, %v; want %x, %v, %v", i, c.in, got, key, ch, c.want, c.key, c.spsCh)
		}
	}
	if NewParamSets(&format.Opus{}) != nil {
		t.Error("ParamSets for Opus")
	}
}

// H.265: the VPS goes in front too; IDR and CRA are keyframes; an empty NAL
// unit in a keyframe is dropped (it once made h265.IsRandomAccess panic).
func TestParamSetsH265(t *testing.T) {
	vps, sps, pps := []byte{0x40, 1}, []byte{0x42, 1}, []byte{0x44, 1}
	aud, idr, cra, trail := []byte{0x46, 1}, []byte{0x26, 1}, []byte{0x2a, 1}, []byte{0x02, 1}
	p := NewParamSets(&format.H265{PayloadTyp: 96, VPS: vps, SPS: sps, PPS: pps})
	for i, c := range []struct {
		in, want [][]byte
		key      bool
	}{
		{[][]byte{trail}, [][]byte{trail}, false},
		{[][]byte{aud, idr}, [][]byte{aud, vps, sps, pps, idr}, true},
		{[][]byte{cra}, [][]byte{vps, sps, pps, cra}, true},
		{[][]byte{{}, idr}, [][]byte{vps, sps, pps, idr}, true},
		{[][]byte{trail, {}}, [][]byte{trail}, false},
	} {
		got, key, _ := p.Complete(c.in)
		if !slices.EqualFunc(got, c.want, slices.Equal) || key != c.key {
			t.Errorf("step %d: Complete(%x) = %x, %v; want %x, %v", i, c.in, got, key, c.want, c.key)
		}
	}
	if !slices.Equal(p.VPS(), vps) {
		t.Errorf("VPS %x", p.VPS())
	}
}
