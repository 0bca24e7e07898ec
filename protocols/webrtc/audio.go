package webrtc

import (
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpsimpleaudio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/stream"
)

// audioOut sends an Opus track, one RTP packet per Opus packet.
type audioOut struct {
	format *format.Opus
	track  *webrtc.TrackLocalStaticRTP
	enc    *rtpsimpleaudio.Encoder
	base   uint32
}

func newAudioOut(f *format.Opus) (*audioOut, error) {
	a := &audioOut{format: f, base: randomTimestamp()}
	var err error
	a.track, err = webrtc.NewTrackLocalStaticRTP(opusCapability, "audio", streamID)
	if err != nil {
		return nil, err
	}
	a.enc = &rtpsimpleaudio.Encoder{PayloadType: 111, PayloadMaxSize: payloadMaxSize}
	if err := a.enc.Init(); err != nil {
		return nil, err
	}
	return a, nil
}

// write sends the Opus packets of u; a unit holding several packets has
// them back to back from its PTS.
func (a *audioOut) write(u *stream.Unit) error {
	pts := rescale(u.PTS, a.format.ClockRate(), 48000)
	for _, pkt := range u.AU {
		if len(pkt) == 0 {
			continue
		}
		p, err := a.enc.Encode(pkt)
		if err != nil {
			continue // larger than a packet: not Opus as WebRTC carries it
		}
		p.Timestamp = a.base + uint32(pts)
		if err := a.track.WriteRTP(p); err != nil {
			return err
		}
		pts += opus.PacketDuration2(pkt)
	}
	return nil
}
