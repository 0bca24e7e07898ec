package webrtc

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/protocols/stream"
)

// errNoTrack: the publication has nothing WebRTC can carry.
var errNoTrack = errors.New("webrtc: the stream has no H264, H265, VP8, VP9, AV1 or Opus track")

// payloadMaxSize keeps RTP packets, with SRTP's overhead, within the 1200
// bytes WebRTC peers expect (pion and browsers receive at most ~1460).
const payloadMaxSize = 1188

// streamID groups a session's tracks into one browser MediaStream.
const streamID = "streamgate"

// rtpWriter is where a track's packets go.
type rtpWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// output is one session's sending side: one video track (the first H.264
// one, else the first H.265 one, else the first VP8, VP9 or AV1 one) and
// the first Opus track of the publication, each re-packetized from the
// units' access units.
type output struct {
	video  *videoOut // H.264 or H.265; nil: none
	frames *frameOut // VP8, VP9 or AV1 when there is no H.264 or H.265; nil: none
	audio  *audioOut // nil: none
}

// newOutput picks the tracks of desc WebRTC can carry; errNoTrack (with the
// codecs there are) when there is none.
func newOutput(desc *description.Session) (*output, error) {
	o := &output{}
	var others []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			var err error
			switch f := f.(type) {
			case *format.H264:
				if o.video == nil || o.video.h265 { // H.264 is the one every browser decodes
					o.video, err = newVideoOut(f)
				}
			case *format.H265:
				if o.video == nil {
					o.video, err = newVideoOut(f)
				}
			case *format.VP8, *format.VP9, *format.AV1:
				if o.frames == nil {
					o.frames, err = newFrameOut(f)
				}
			case *format.Opus:
				if o.audio == nil {
					o.audio, err = newAudioOut(f)
				}
			default:
				others = append(others, f.Codec())
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if o.video != nil {
		o.frames = nil // one video track
	}
	if o.video == nil && o.frames == nil && o.audio == nil {
		return nil, fmt.Errorf("%w (it has: %s)", errNoTrack, strings.Join(others, ", "))
	}
	return o, nil
}

// tracks are the local tracks to add to the peer connection.
func (o *output) tracks() []*webrtc.TrackLocalStaticRTP {
	var out []*webrtc.TrackLocalStaticRTP
	if o.video != nil {
		out = append(out, o.video.track)
	}
	if o.frames != nil {
		out = append(out, o.frames.track)
	}
	if o.audio != nil {
		out = append(out, o.audio.track)
	}
	return out
}

// codecs are the names of the tracks, for logs.
func (o *output) codecs() []string {
	var out []string
	if o.video != nil {
		out = append(out, o.video.format.Codec())
	}
	if o.frames != nil {
		out = append(out, o.frames.format.Codec())
	}
	if o.audio != nil {
		out = append(out, o.audio.format.Codec())
	}
	return out
}

// register puts the codecs of the tracks in m: for H.264 and H.265 the
// profile of the stream first, then common ones (browsers decode any
// profile they support, whatever was negotiated; H.264 always with
// packetization-mode=1).
func (o *output) register(m *webrtc.MediaEngine) error {
	if o.video != nil {
		for i, c := range o.video.capabilities {
			c := webrtc.RTPCodecParameters{RTPCodecCapability: c, PayloadType: webrtc.PayloadType(102 + 2*i)}
			if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
				return err
			}
		}
	}
	if o.frames != nil {
		c := webrtc.RTPCodecParameters{RTPCodecCapability: o.frames.capability, PayloadType: 96}
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	if o.audio != nil {
		c := webrtc.RTPCodecParameters{RTPCodecCapability: opusCapability, PayloadType: 111}
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return err
		}
	}
	return nil
}

// videoCodec is the encoding name of the video track ("H264", "H265",
// "VP8", "VP9", "AV1"), "" when there is none.
func (o *output) videoCodec() string {
	switch {
	case o.video != nil:
		return o.video.codec()
	case o.frames != nil:
		return strings.TrimPrefix(o.frames.capability.MimeType, "video/")
	}
	return ""
}

// keep drops the tracks the offer cannot receive; false when none is left.
func (o *output) keep(video, audio bool) bool {
	if !video {
		o.video, o.frames = nil, nil
	}
	if !audio {
		o.audio = nil
	}
	return o.video != nil || o.frames != nil || o.audio != nil
}

// resync is called after units were dropped: video waits for the next
// keyframe.
func (o *output) resync() {
	if o.video != nil {
		o.video.synced = false
	}
	if o.frames != nil {
		o.frames.synced = false
	}
}

// write sends u if it belongs to one of the tracks.
func (o *output) write(u *stream.Unit) error {
	if u.AU == nil {
		return nil
	}
	switch {
	case o.video != nil && u.Format == o.video.format:
		return o.video.write(u)
	case o.frames != nil && u.Format == o.frames.format:
		return o.frames.write(u)
	case o.audio != nil && u.Format == format.Format(o.audio.format):
		return o.audio.write(u)
	}
	return nil
}

// outFeedback is the RTCP feedback a WHEP reader may send for video:
// NACKs (answered by pion's NACK responder) and keyframe requests (PLI,
// FIR), passed on to a WHIP publisher (session.readRTCP).
var outFeedback = []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}

var opusCapability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
	SDPFmtpLine: "minptime=10;useinbandfec=1"}

// rescale converts a timestamp from one clock rate to another.
func rescale(ts int64, from, to int) int64 {
	if from == to || from <= 0 {
		return ts
	}
	return ts * int64(to) / int64(from)
}

// randomTimestamp is a track's random initial RTP timestamp (RFC 3550).
func randomTimestamp() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}
