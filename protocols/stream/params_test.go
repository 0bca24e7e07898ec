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
