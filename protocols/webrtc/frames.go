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
	encode     func([][]byte) ([]*rtp.Packet, error)
	key        func([][]byte) bool
	keyframeSender
}

// newFrameOut is the sender of f, nil (no error) for a format it does not
// carry.
func newFrameOut(f format.Format) (*frameOut, error) {
	o := &frameOut{format: f, keyframeSender: keyframeSender{base: randomTimestamp()}}
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
	return o.send(u.AU, o.key, u.PTS, o.format.ClockRate(), o.encode)
}

// keyframeSender is how a video track is sent (H.264, VP8, VP9, AV1): from
// a keyframe on, each access unit packetized and stamped at 90 kHz from a
// random base.
type keyframeSender struct {
	sink   rtpWriter // the track; a recorder in tests
	synced bool      // has started at a keyframe and lost nothing since
	base   uint32
}

// send writes au, its presentation time pts at clockRate, packetized by
// encode. Nothing is sent before the first access unit that key says can
// start the track (a keyframe), nor after one that cannot be packetized
// until the next.
func (k *keyframeSender) send(au [][]byte, key func([][]byte) bool, pts int64, clockRate int, encode func([][]byte) ([]*rtp.Packet, error)) error {
	if len(au) == 0 {
		return nil
	}
	if !k.synced {
		if !key(au) {
			return nil
		}
		k.synced = true
	}
	pkts, err := encode(au)
	if err != nil {
		k.synced = false // cannot be sent: start again at the next keyframe
		return nil
	}
	ts := k.base + uint32(rescale(pts, clockRate, 90000))
	for _, p := range pkts {
		p.Timestamp = ts
		if err := k.sink.WriteRTP(p); err != nil {
			return err
		}
	}
	return nil
}
