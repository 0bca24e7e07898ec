package stream

import (
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// The codecs the hub carries as decoded units: H.264, H.265, VP8, VP9, AV1,
// Motion JPEG, MPEG-4 audio (AAC) and Opus. Other formats travel as RTP between RTSP
// peers only.

// RTPDecoder returns a decoder from RTP packets to a unit's AU for f, or nil
// for a format the hub does not decode.
func RTPDecoder(f format.Format) func(*rtp.Packet) ([][]byte, error) {
	switch f := f.(type) {
	case *format.H264:
		if d, err := f.CreateDecoder(); err == nil {
			return d.Decode
		}
	case *format.H265:
		if d, err := f.CreateDecoder(); err == nil {
			return d.Decode
		}
	case *format.VP8:
		if d, err := f.CreateDecoder(); err == nil {
			return oneFrame(d.Decode)
		}
	case *format.VP9:
		if d, err := f.CreateDecoder(); err == nil {
			return oneFrame(d.Decode)
		}
	case *format.AV1:
		if d, err := f.CreateDecoder(); err == nil {
			return d.Decode // a temporal unit: its OBUs
		}
	case *format.MJPEG:
		if d, err := f.CreateDecoder(); err == nil {
			return oneFrame(d.Decode) // a whole JFIF image
		}
	case *format.MPEG4Audio:
		if d, err := f.CreateDecoder(); err == nil {
			return d.Decode
		}
	case *format.Opus:
		if d, err := f.CreateDecoder(); err == nil {
			return func(p *rtp.Packet) ([][]byte, error) {
				frame, err := d.Decode(p)
				if err != nil {
					return nil, err
				}
				return [][]byte{frame}, nil
			}
		}
	}
	return nil
}

// RTPEncoder returns an encoder from a unit's AU to RTP packets for f, or nil.
// Packet timestamps are left for the caller to set from the unit's PTS.
func RTPEncoder(f format.Format) func([][]byte) ([]*rtp.Packet, error) {
	switch f := f.(type) {
	case *format.H264:
		if e, err := f.CreateEncoder(); err == nil {
			return e.Encode
		}
	case *format.H265:
		if e, err := f.CreateEncoder(); err == nil {
			return e.Encode
		}
	case *format.VP8:
		if e, err := f.CreateEncoder(); err == nil {
			return FramesEncoder(e.Encode)
		}
	case *format.VP9:
		if e, err := f.CreateEncoder(); err == nil {
			return FramesEncoder(e.Encode)
		}
	case *format.AV1:
		if e, err := f.CreateEncoder(); err == nil {
			return e.Encode
		}
	case *format.MJPEG:
		if e, err := f.CreateEncoder(); err == nil {
			return FramesEncoder(e.Encode)
		}
	case *format.MPEG4Audio:
		if e, err := f.CreateEncoder(); err == nil {
			return e.Encode
		}
	case *format.Opus:
		if e, err := f.CreateEncoder(); err == nil {
			return func(au [][]byte) ([]*rtp.Packet, error) {
				var out []*rtp.Packet
				for _, frame := range au {
					p, err := e.Encode(frame)
					if err != nil {
						return nil, err
					}
					out = append(out, p)
				}
				return out, nil
			}
		}
	}
	return nil
}

// oneFrame adapts a VP8/VP9/MJPEG depacketizer, whose unit is one frame.
func oneFrame(decode func(*rtp.Packet) ([]byte, error)) func(*rtp.Packet) ([][]byte, error) {
	return func(p *rtp.Packet) ([][]byte, error) {
		frame, err := decode(p)
		if err != nil || frame == nil {
			return nil, err
		}
		return [][]byte{frame}, nil
	}
}

// FramesEncoder adapts a VP8/VP9/MJPEG packetizer (rtpvp8, rtpvp9, rtpmjpeg) to a unit:
// each element of the unit is a frame.
func FramesEncoder(encode func([]byte) ([]*rtp.Packet, error)) func([][]byte) ([]*rtp.Packet, error) {
	return func(au [][]byte) ([]*rtp.Packet, error) {
		var out []*rtp.Packet
		for _, frame := range au {
			pkts, err := encode(frame)
			if err != nil {
				return nil, err
			}
			out = append(out, pkts...)
		}
		return out, nil
	}
}
