package webrtc

import (
	"slices"
	"strings"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

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
	decode func(*rtp.Packet) ([][]byte, error)
	aus    [][][]byte
}

func (r *recorder) WriteRTP(p *rtp.Packet) error {
	au, err := r.decode(p)
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
	dec := &rtph264.Decoder{PacketizationMode: 1}
	if err := dec.Init(); err != nil {
		t.Fatal(err)
	}
	r := &recorder{decode: dec.Decode}
	v.sink = r
	return v, r
}

// videoStep is one access unit written to a videoOut: what it should send.
type videoStep struct {
	au     [][]byte
	resync bool   // units were dropped before this one
	want   []int  // NAL unit types sent; nil: nothing
	first  []byte // the first NAL unit sent (an in-band parameter set kept); nil: not checked
}

// runVideoSteps writes steps to v (format f) in order and checks the NAL
// unit types (read by types) of what each sent, and its first NAL unit
// where the step names one.
func runVideoSteps(t *testing.T, v *videoOut, r *recorder, f format.Format, types func([][]byte) []int, steps []videoStep) {
	t.Helper()
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
		if s.first != nil && !slices.Equal(r.aus[len(r.aus)-1][0], s.first) {
			t.Errorf("step %d: first NAL unit sent %x, want the in-band parameter set %x", i, r.aus[len(r.aus)-1][0], s.first)
		}
	}
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
	if fmtp := v.capabilities[0].SDPFmtpLine; !strings.HasSuffix(fmtp, "profile-level-id=640028") {
		t.Errorf("fmtp %s, want profile-level-id=640028", fmtp)
	}
	newSPS := []byte{0x67, 0x64, 0x00, 0x29, 0x01}
	steps := []videoStep{
		{au: [][]byte{non}}, // before the first IDR: skipped
		{au: [][]byte{aud, idr}, want: []int{9, 7, 8, 5}}, // parameter sets after the AUD
		{au: [][]byte{non}, want: []int{1}},
		{au: [][]byte{non}, resync: true},                        // units were dropped: wait for an IDR
		{au: [][]byte{{}, newSPS, idr}, want: []int{7, 8, 5}},    // in-band SPS kept, PPS added, empty NALU dropped
		{au: [][]byte{idr}, want: []int{7, 8, 5}, first: newSPS}, // the in-band SPS replaced the format's
	}
	runVideoSteps(t, v, r, f, types, steps)
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

// H.265 starts at an IRAP picture (IDR or CRA) once the VPS, SPS and PPS
// are known, with them in front (after an AUD); after a drop it skips to
// the next IRAP; in-band parameter sets replace the format's.
func TestVideoOutH265(t *testing.T) {
	var (
		vps   = []byte{0x40, 0x01, 0x0c}
		sps   = []byte{0x42, 0x01, 0x01}
		pps   = []byte{0x44, 0x01, 0xc0}
		aud   = []byte{0x46, 0x01, 0x50}
		idr   = []byte{0x26, 0x01, 0xaf, 0x01} // IDR_W_RADL
		cra   = []byte{0x2a, 0x01, 0xaf, 0x02} // CRA
		trail = []byte{0x02, 0x01, 0xd0}       // TRAIL_R
	)
	f := &format.H265{PayloadTyp: 96} // parameter sets only in-band
	v, err := newVideoOut(f)
	if err != nil {
		t.Fatal(err)
	}
	if v.codec() != "H265" || v.capabilities[0].MimeType != webrtc.MimeTypeH265 {
		t.Fatalf("codec %s, capability %+v", v.codec(), v.capabilities[0])
	}
	dec := &rtph265.Decoder{}
	if err := dec.Init(); err != nil {
		t.Fatal(err)
	}
	r := &recorder{decode: dec.Decode}
	v.sink = r
	types := func(au [][]byte) []int {
		out := make([]int, len(au))
		for i, n := range au {
			out[i] = int(n[0]>>1) & 0x3f
		}
		return out
	}
	newVPS := []byte{0x40, 0x01, 0x0c, 0x02}
	steps := []videoStep{
		{au: [][]byte{trail}}, // before the first keyframe: skipped
		{au: [][]byte{idr}},   // no parameter sets known yet: skipped
		{au: [][]byte{aud, vps, sps, pps, idr}, want: []int{35, 32, 33, 34, 19}},
		{au: [][]byte{trail}, want: []int{1}},
		{au: [][]byte{trail}, resync: true},                                         // units were dropped: wait for a keyframe
		{au: [][]byte{aud, cra}, want: []int{35, 32, 33, 34, 21}},                   // parameter sets after the AUD
		{au: [][]byte{{}, newVPS, idr}, want: []int{32, 33, 34, 19}, first: newVPS}, // in-band VPS kept, empty NALU dropped
	}
	runVideoSteps(t, v, r, f, types, steps)
}

// The fmtp of an H.265 track comes from the SPS's profile_tier_level;
// Main at level 3.1 without a usable SPS.
func TestH265Params(t *testing.T) {
	for _, tc := range []struct {
		sps                  []byte
		level, profile, tier int
	}{
		{nil, 93, 1, 0},
		{[]byte{0x42, 0x01}, 93, 1, 0},
		{[]byte{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00,
			0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f, 0x16, 0x59, 0x59, 0x52, 0x93, 0x0b, 0xc0, 0x5a,
			0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10}, 60, 1, 0}, // x265, 320x240
	} {
		if l, p, tr := h265Params(tc.sps); l != tc.level || p != tc.profile || tr != tc.tier {
			t.Errorf("h265Params(%x) = %d %d %d, want %d %d %d", tc.sps, l, p, tr, tc.level, tc.profile, tc.tier)
		}
	}
}
