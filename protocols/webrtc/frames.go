package webrtc

import (
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpav1"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpvp8"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpvp9"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp8"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/stream"
)

// frameOut sends a VP8, VP9 or AV1 track (a WHIP publisher's, an RTSP
// one's): the hub's frames packetized again for WebRTC's MTU, from a
// keyframe on.
type frameOut struct {
	format     format.Format
	capability webrtc.RTPCodecCapability
	track      *webrtc.TrackLocalStaticRTP
	sink       rtpWriter // the track; a recorder in tests
	encode     func([][]byte) ([]*rtp.Packet, error)
	key        func([][]byte) bool
	synced     bool // has started at a keyframe and lost nothing since
	base       uint32
}

// newFrameOut is the sender of f, nil (no error) for a format it does not
// carry.
func newFrameOut(f format.Format) (*frameOut, error) {
	o := &frameOut{format: f, base: randomTimestamp()}
	switch f.(type) {
	case *format.VP8:
		e := &rtpvp8.Encoder{PayloadType: 96, PayloadMaxSize: payloadMaxSize}
		if err := e.Init(); err != nil {
			return nil, err
		}
		o.capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: outFeedback}
		o.encode = stream.FramesEncoder(e.Encode)
		o.key = func(au [][]byte) bool { return len(au) == 1 && vp8.IsRandomAccess(au[0]) }
	case *format.VP9:
		e := &rtpvp9.Encoder{PayloadType: 96, PayloadMaxSize: payloadMaxSize}
		if err := e.Init(); err != nil {
			return nil, err
		}
		o.capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0",
			RTCPFeedback: outFeedback}
		o.encode = stream.FramesEncoder(e.Encode)
		o.key = func(au [][]byte) bool { return len(au) == 1 && vp9.IsRandomAccess(au[0]) }
	case *format.AV1:
		e := &rtpav1.Encoder{PayloadType: 96, PayloadMaxSize: payloadMaxSize}
		if err := e.Init(); err != nil {
			return nil, err
		}
		o.capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000, RTCPFeedback: outFeedback}
		o.encode = e.Encode
		o.key = av1.IsRandomAccess2
	default:
		return nil, nil
	}
	var err error
	o.track, err = webrtc.NewTrackLocalStaticRTP(o.capability, "video", streamID)
	if err != nil {
		return nil, err
	}
	o.sink = o.track
	return o, nil
}

func (o *frameOut) write(u *stream.Unit) error {
	if len(u.AU) == 0 {
		return nil
	}
	if !o.synced {
		if !o.key(u.AU) {
			return nil
		}
		o.synced = true
	}
	pkts, err := o.encode(u.AU)
	if err != nil {
		o.synced = false // cannot be sent: start again at the next keyframe
		return nil
	}
	ts := o.base + uint32(rescale(u.PTS, o.format.ClockRate(), 90000))
	for _, p := range pkts {
		p.Timestamp = ts
		if err := o.sink.WriteRTP(p); err != nil {
			return err
		}
	}
	return nil
}
