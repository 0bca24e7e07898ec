package webrtc

import (
	"net/http"
	"strings"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/stream"
)

// inboundCodecNames are the codecs a WHIP publisher may send.
const inboundCodecNames = "H264, H265, VP8, VP9, AV1, Opus"

var videoFeedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"},
	{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"}}

// inboundCodecs are the codecs registered for WHIP, in no preferred order:
// the answer follows the offer's preference (the publish page puts H.264
// first).
var inboundCodecs = []struct {
	kind  webrtc.RTPCodecType
	codec webrtc.RTPCodecParameters
}{
	{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}}},
	{webrtc.RTPCodecTypeVideo, h264In(102, "42001f")},
	{webrtc.RTPCodecTypeVideo, h264In(104, "42e01f")},
	{webrtc.RTPCodecTypeVideo, h264In(106, "4d001f")},
	{webrtc.RTPCodecTypeVideo, h264In(108, "640032")},
	{webrtc.RTPCodecTypeVideo, h264In(112, "64001f")},
	{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}}},
	{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 98, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0", RTCPFeedback: videoFeedback}}},
	{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 45, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeAV1, ClockRate: 90000, RTCPFeedback: videoFeedback}}},
	{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 116, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH265, ClockRate: 90000, RTCPFeedback: videoFeedback}}},
}

func h264In(pt webrtc.PayloadType, profile string) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{PayloadType: pt, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: videoFeedback,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profile}}
}

// registerInbound puts the codecs a WHIP publisher may send in m.
func registerInbound(m *webrtc.MediaEngine) error {
	for _, c := range inboundCodecs {
		if err := m.RegisterCodec(c.codec, c.kind); err != nil {
			return err
		}
	}
	return nil
}

// offerSends checks that a WHIP offer parses and sends at least one audio
// or video m-line (400 otherwise).
func offerSends(offer string) error {
	parsed, err := (&webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}).Unmarshal()
	if err != nil {
		return refuse(http.StatusBadRequest, "invalid offer: %v", err)
	}
	for _, md := range parsed.MediaDescriptions {
		_, recvonly := md.Attribute("recvonly")
		_, inactive := md.Attribute("inactive")
		if (md.MediaName.Media == "video" || md.MediaName.Media == "audio") && !recvonly && !inactive {
			return nil
		}
	}
	return refuse(http.StatusBadRequest, "invalid offer: it sends no audio or video")
}

// inTrack turns one received track's RTP packets into hub units.
type inTrack struct {
	media  *description.Media
	format format.Format
	// decode returns a complete access unit (an H.264/H.265 access unit,
	// a VP8/VP9 frame, an AV1 temporal unit, an Opus packet), or nil; nil
	// decode: the format travels as RTP packets, which RTSP readers
	// receive as they are.
	decode func(*rtp.Packet) ([][]byte, error)
	clock  tsUnwrapper
}

// newInTrack maps a negotiated codec to a hub format; nil for a codec the
// hub cannot carry.
func newInTrack(c webrtc.RTPCodecParameters) *inTrack {
	pt := uint8(c.PayloadType)
	var f format.Format
	mt := description.MediaTypeVideo
	switch strings.ToLower(c.MimeType) {
	case strings.ToLower(webrtc.MimeTypeH264):
		f = &format.H264{PayloadTyp: pt, PacketizationMode: 1}
	case strings.ToLower(webrtc.MimeTypeH265):
		f = &format.H265{PayloadTyp: pt}
	case strings.ToLower(webrtc.MimeTypeVP8):
		f = &format.VP8{PayloadTyp: pt}
	case strings.ToLower(webrtc.MimeTypeVP9):
		f = &format.VP9{PayloadTyp: pt}
	case strings.ToLower(webrtc.MimeTypeAV1):
		f = &format.AV1{PayloadTyp: pt}
	case strings.ToLower(webrtc.MimeTypeOpus):
		f = &format.Opus{PayloadTyp: pt, ChannelCount: 2}
		mt = description.MediaTypeAudio
	default:
		return nil
	}
	return &inTrack{media: &description.Media{Type: mt, Formats: []format.Format{f}}, format: f, decode: stream.RTPDecoder(f)}
}

// unit returns the unit pkt completes, nil when there is none yet. base is
// the track's start on the session's clock, in the format's clock rate.
func (t *inTrack) unit(pkt *rtp.Packet, base int64) *stream.Unit {
	pts := t.clock.unwrap(pkt.Timestamp) + base
	if t.decode == nil {
		// As RTSP readers get it: the format's payload type, without the
		// header extensions negotiated with the WebRTC peer.
		pkt.PayloadType = t.format.PayloadType()
		pkt.Extension, pkt.Extensions, pkt.ExtensionProfile = false, nil, 0
		return &stream.Unit{Media: t.media, Format: t.format, PTS: pts, RTP: pkt}
	}
	au, err := t.decode(pkt)
	if err != nil || len(au) == 0 {
		return nil // more packets needed, or a unit lost: wait for the next
	}
	return &stream.Unit{Media: t.media, Format: t.format, PTS: pts, AU: au}
}

// tsUnwrapper extends 32-bit RTP timestamps to 64 bits from the first one.
type tsUnwrapper struct {
	started bool
	last    uint32
	value   int64
}

func (u *tsUnwrapper) unwrap(ts uint32) int64 {
	if !u.started {
		u.started, u.last = true, ts
		return 0
	}
	u.value += int64(int32(ts - u.last))
	u.last = ts
	return u.value
}
