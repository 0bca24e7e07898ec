package webrtc

import (
	"slices"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/protocols/stream"
)

var (
	sps = []byte{0x67, 0x64, 0x00, 0x28, 0xac}
	pps = []byte{0x68, 0xee, 0x3c, 0x80}
	aud = []byte{0x09, 0xf0}
	idr = []byte{0x65, 0x88, 0x84}
	non = []byte{0x41, 0x9a}
)

// recorder depacketizes what a videoOut sends.
type recorder struct {
	dec *rtph264.Decoder
	aus [][][]byte
}

func (r *recorder) WriteRTP(p *rtp.Packet) error {
	au, err := r.dec.Decode(p)
	if err == nil {
		r.aus = append(r.aus, au)
	}
	return nil
}

func newRecorded(t *testing.T, f *format.H264) (*videoOut, *recorder) {
	t.Helper()
	v, err := newVideoOut(f)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{dec: &rtph264.Decoder{PacketizationMode: 1}}
	if err := r.dec.Init(); err != nil {
		t.Fatal(err)
	}
	v.sink = r
	return v, r
}

func types(au [][]byte) []int {
	out := make([]int, len(au))
	for i, n := range au {
		out[i] = int(n[0] & 0x1f)
	}
	return out
}

// Video starts at an IDR with the parameter sets in front (after an AUD),
// and after a drop skips to the next IDR; in-band parameter sets replace
// the format's; the profile comes from the SPS.
func TestVideoOut(t *testing.T) {
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
	v, r := newRecorded(t, f)
	if v.profile != "640028" {
		t.Errorf("profile-level-id %s, want 640028", v.profile)
	}
	newSPS := []byte{0x67, 0x64, 0x00, 0x29, 0x01}
	steps := []struct {
		au     [][]byte
		resync bool
		want   []int // NAL unit types sent; nil: nothing
	}{
		{au: [][]byte{non}}, // before the first IDR: skipped
		{au: [][]byte{aud, idr}, want: []int{9, 7, 8, 5}}, // parameter sets after the AUD
		{au: [][]byte{non}, want: []int{1}},
		{au: [][]byte{non}, resync: true},                     // units were dropped: wait for an IDR
		{au: [][]byte{{}, newSPS, idr}, want: []int{7, 8, 5}}, // in-band SPS kept, PPS added, empty NALU dropped
		{au: [][]byte{idr}, want: []int{7, 8, 5}},
	}
	for i, s := range steps {
		if s.resync {
			v.synced = false
		}
		before := len(r.aus)
		if err := v.write(&stream.Unit{Format: f, PTS: int64(i) * 3000, AU: s.au}); err != nil {
			t.Fatal(err)
		}
		var got []int
		if len(r.aus) > before {
			got = types(r.aus[len(r.aus)-1])
		}
		if !slices.Equal(got, s.want) {
			t.Fatalf("step %d: sent %v, want %v", i, got, s.want)
		}
	}
	if last := r.aus[len(r.aus)-1]; !slices.Equal(last[0], newSPS) {
		t.Errorf("the in-band SPS did not replace the format's: %x", last[0])
	}
}

func TestProfileLevelID(t *testing.T) {
	for _, tc := range []struct {
		sps  []byte
		want string
	}{
		{nil, "42e01f"},
		{[]byte{0x67, 0x42}, "42e01f"},
		{[]byte{0x68, 0x42, 0xc0, 0x1f}, "42e01f"}, // not an SPS
		{[]byte{0x67, 0x42, 0xc0, 0x0d, 0xda}, "42c00d"},
	} {
		if got := profileLevelID(tc.sps); got != tc.want {
			t.Errorf("profileLevelID(%x) = %s, want %s", tc.sps, got, tc.want)
		}
	}
}
