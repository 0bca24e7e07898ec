package webrtc

import (
	"encoding/hex"
	"strconv"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/stream"
)

// videoOut sends an H.264 or H.265 track: from a keyframe on (H.264: an
// IDR; H.265: an IRAP picture, IDR or CRA), with the parameter sets in
// front of every keyframe (SPS and PPS; H.265: VPS, SPS and PPS) so that a
// browser can decode from there.
type videoOut struct {
	format format.Format // *format.H264 or *format.H265
	h265   bool
	// capabilities are the codecs registered for the track, the stream's
	// own first (H.264: its profile-level-id; H.265: its profile-id),
	// then those browsers commonly offer: a browser decodes any profile it
	// supports, whatever was negotiated.
	capabilities []webrtc.RTPCodecCapability
	track        *webrtc.TrackLocalStaticRTP
	encode       func([][]byte) ([]*rtp.Packet, error)
	params       *stream.ParamSets // the latest parameter sets, from the format or in-band
	keyframeSender
}

// newVideoOut is the sender of f (H.264 or H.265).
func newVideoOut(f format.Format) (*videoOut, error) {
	v := &videoOut{format: f, params: stream.NewParamSets(f), keyframeSender: keyframeSender{base: randomTimestamp()}}
	// Not stream.RTPEncoder, which keeps the source's packetization and
	// 1450-byte payloads: browsers need packets that fit WebRTC's MTU
	// and, for H.264, packetization mode 1 (NAL units larger than a
	// packet).
	switch f := f.(type) {
	case *format.H264:
		sps, _ := f.SafeParams()
		profile := profileLevelID(sps)
		for _, p := range []string{profile, "42e01f", "42001f"} {
			if p == profile && len(v.capabilities) > 0 {
				continue
			}
			v.capabilities = append(v.capabilities, h264Capability(p))
		}
		enc := &rtph264.Encoder{PayloadType: 96, PacketizationMode: 1, PayloadMaxSize: payloadMaxSize}
		if err := enc.Init(); err != nil {
			return nil, err
		}
		v.encode = enc.Encode
	case *format.H265:
		v.h265 = true
		_, sps, _ := f.SafeParams()
		level, profile, tier := h265Params(sps)
		v.capabilities = append(v.capabilities, h265Capability(level, profile, tier))
		for _, p := range []int{1, 2} { // Main, Main 10
			if p != profile {
				v.capabilities = append(v.capabilities, h265Capability(93, p, 0))
			}
		}
		enc := &rtph265.Encoder{PayloadType: 96, PayloadMaxSize: payloadMaxSize}
		if err := enc.Init(); err != nil {
			return nil, err
		}
		v.encode = enc.Encode
	default:
		return nil, nil
	}
	var err error
	v.track, err = webrtc.NewTrackLocalStaticRTP(v.capabilities[0], "video", streamID)
	if err != nil {
		return nil, err
	}
	v.sink = v.track
	return v, nil
}

// codec is the track's encoding name: H264 or H265.
func (v *videoOut) codec() string {
	if v.h265 {
		return "H265"
	}
	return "H264"
}

func (v *videoOut) write(u *stream.Unit) error {
	au, key, _ := v.params.Complete(u.AU)
	startable := func([][]byte) bool {
		return key && v.params.SPS() != nil && v.params.PPS() != nil && (!v.h265 || v.params.VPS() != nil)
	}
	return v.send(au, startable, u.PTS, v.format.ClockRate(), v.encode)
}

func h264Capability(profile string) webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: outFeedback,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profile}
}

// h265Capability is an H.265 codec with the fmtp parameters of RFC 7798
// §7.1 (level-id, profile-id, tier-flag) and tx-mode SRST, the only one
// WebRTC uses.
func h265Capability(level, profile, tier int) webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH265, ClockRate: 90000, RTCPFeedback: outFeedback,
		SDPFmtpLine: "level-id=" + strconv.Itoa(level) + ";profile-id=" + strconv.Itoa(profile) +
			";tier-flag=" + strconv.Itoa(tier) + ";tx-mode=SRST"}
}

// profileLevelID is the profile-level-id of an SPS (its three bytes after
// the NAL header), 42e01f when there is no usable SPS.
func profileLevelID(sps []byte) string {
	if len(sps) < 4 || sps[0]&0x1f != 7 {
		return "42e01f"
	}
	return hex.EncodeToString(sps[1:4])
}

// h265Params are the level, profile and tier of an H.265 SPS (its
// profile_tier_level): Main, Main tier, level 3.1 (93) when there is no
// usable SPS.
func h265Params(sps []byte) (level, profile, tier int) {
	level, profile, tier = 93, 1, 0
	var s h265.SPS
	if len(sps) > 0 && s.Unmarshal(sps) == nil {
		ptl := s.ProfileTierLevel
		if ptl.GeneralLevelIdc != 0 {
			level = int(ptl.GeneralLevelIdc)
		}
		if ptl.GeneralProfileIdc != 0 {
			profile = int(ptl.GeneralProfileIdc)
		}
		tier = int(ptl.GeneralTierFlag)
	}
	return level, profile, tier
}
