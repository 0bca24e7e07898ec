package webrtc_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/webrtc"
)

func h265Types(au [][]byte) []int {
	out := make([]int, len(au))
	for i, n := range au {
		out[i] = int(n[0]>>1) & 0x3f
	}
	return out
}

// playedBy publishes medias on path and has a pion player play it as
// viewer; it returns the player and the SDP answer it got.
func playedBy(t *testing.T, path string, medias ...*description.Media) (*client, string) {
	t.Helper()
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, path, medias...)
	c := newClient(t)
	c.play(t, e, path, "viewer")
	return c, c.pc.RemoteDescription().SDP
}

// An H.265 stream read by a pion player whose offer lists H.265 (among
// H.264, VP8, VP9, AV1: pion's defaults): the answer sends H265 and no
// other video codec; the first access unit depacketized is an IDR
// with the stream's VPS, SPS and PPS in front, as is every later IDR, and
// IDRs larger than a packet arrive whole.
func TestPlayH265(t *testing.T) {
	c, answer := playedBy(t, "hevc", h265Media(), opusMedia())
	if !strings.Contains(answer, " H265/90000") {
		t.Fatalf("answer without H265:\n%s", answer)
	}
	for _, other := range []string{"H264/", "VP8/", "VP9/", "AV1/"} {
		if strings.Contains(answer, other) {
			t.Errorf("answer lists %s besides H265", other)
		}
	}
	c.waitState(t, pion.PeerConnectionStateConnected)
	wantPlayedFrames(t, c, playedCodec{types: h265Types, keyframe: []int{32, 33, 34, 19},
		params: [][]byte{testVPS265, testSPS265, testPPS265}, paramNames: "VPS, SPS, PPS", frame: frame265(0), unit: "access unit"})
}

// An offer whose video lacks H.265 (a player with H.264 and VP8 only) is
// refused with 406 for an H.265 stream, and leaves no reader behind.
func TestOfferWithoutH265(t *testing.T) {
	e := newEnv(t, allPaths, webrtc.Config{})
	publish(t, e, "hevc", h265Media())
	offer := videoOffer(t,
		pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
		pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000})
	if res, body := post(t, e, "hevc", offer.SDP); res.StatusCode != http.StatusNotAcceptable || !strings.Contains(body, "H265") {
		t.Fatalf("offer without H265: %d %q, want 406 naming H265", res.StatusCode, body)
	}
	if n := e.readers("hevc"); n != 0 {
		t.Errorf("%d readers left", n)
	}
}

// A stream with an H.264 and an H.265 track sends H.264 (the one every
// browser decodes), even to an offer that lists both.
func TestPlayPrefersH264OverH265(t *testing.T) {
	c, answer := playedBy(t, "both", h265Media(), h264Media())
	if !strings.Contains(answer, " H264/90000") || strings.Contains(answer, "H265/") {
		t.Fatalf("answer without H264 alone:\n%s", answer)
	}
	c.waitState(t, pion.PeerConnectionStateConnected)
	au, err := c.nextFrame()
	if err != nil {
		t.Fatal(err)
	}
	if types := naluTypes(au); !slices.Equal(types, []int{7, 8, 5}) {
		t.Errorf("first frame NAL unit types %v, want SPS, PPS, IDR (7 8 5)", types)
	}
}
