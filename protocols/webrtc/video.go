package webrtc

import (
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/stream"
)

// videoOut sends an H.264 track: from an IDR on, with SPS and PPS in front
// of every IDR so that a browser can decode from there.
type videoOut struct {
	format  *format.H264
	profile string // profile-level-id
	track   *webrtc.TrackLocalStaticRTP
	enc     *rtph264.Encoder
	params  *stream.ParamSets // the latest SPS and PPS, from the format or in-band
	keyframeSender
}

func newVideoOut(f *format.H264) (*videoOut, error) {
	sps, _ := f.SafeParams()
	v := &videoOut{format: f, profile: profileLevelID(sps), params: stream.NewParamSets(f),
		keyframeSender: keyframeSender{base: randomTimestamp()}}
	var err error
	v.track, err = webrtc.NewTrackLocalStaticRTP(h264Capability(v.profile), "video", streamID)
	if err != nil {
		return nil, err
	}
	v.sink = v.track
	// Not stream.RTPEncoder, which keeps the source's packetization mode and
	// 1450-byte payloads: browsers need mode 1 (NAL units larger than a
	// packet) and packets that fit WebRTC's MTU.
	v.enc = &rtph264.Encoder{PayloadType: 96, PacketizationMode: 1, PayloadMaxSize: payloadMaxSize}
	if err := v.enc.Init(); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *videoOut) write(u *stream.Unit) error {
	au, key, _ := v.params.Complete(u.AU)
	startable := func([][]byte) bool { return key && v.params.SPS() != nil && v.params.PPS() != nil }
	return v.send(au, startable, u.PTS, v.format.ClockRate(), v.enc.Encode)
}
