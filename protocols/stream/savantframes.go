package stream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/jpeg"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpav1"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmjpeg"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpvp8"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpvp9"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/protocols/savant"
)

// The Savant frames of the video formats the hub carries as RTP packets
// (VP8, VP9 and AV1 from WebRTC publishers, Motion JPEG from RTSP ones):
// each frame is depacketized here with gortsplib's decoder, then sent whole
// as a decoder expects it: a VP8 or VP9 frame as IVF holds it, an AV1
// temporal unit in the low-overhead bitstream format (a temporal delimiter,
// then OBUs with their sizes), a JPEG image with its tables (JFIF).
//
// Codec names: savant-rs 1.15 names "h264", "hevc", "jpeg" and "av1"
// (savant_gstreamer Codec::from_name, retina_rtsp); it has none for VP8 and
// VP9, which go as "vp8" and "vp9" (the Savant framework's and GStreamer's
// names).

// frameTrack turns one VP8/VP9/AV1/MJPEG track into Savant frames.
type frameTrack struct {
	format    format.Format
	codec     string
	clockRate int64
	// decode returns a whole frame (or temporal unit) once its last packet
	// arrives, nil before.
	decode func(*rtp.Packet) ([][]byte, error)
	// parse reads a frame: whether it is a keyframe, its size when the
	// bitstream gives one (0 otherwise), and the bytes to send.
	parse         func(au [][]byte) (key bool, width, height int, data []byte, err error)
	width, height int
	started       bool // a keyframe seen since the start or the last loss
	firstPTS      int64
	frames        int
	framerate     string
}

// newFrameTrack returns the track of f, nil for another format.
func newFrameTrack(f format.Format) *frameTrack {
	t := &frameTrack{format: f, clockRate: int64(f.ClockRate()), framerate: framerate(0)}
	switch f.(type) {
	case *format.VP8:
		t.codec, t.parse = "vp8", parseVP8
	case *format.VP9:
		t.codec, t.parse = "vp9", parseVP9
	case *format.AV1:
		t.codec, t.parse = "av1", parseAV1
	case *format.MJPEG:
		t.codec, t.parse = "jpeg", parseJPEG
	default:
		return nil
	}
	if t.decode = RTPDecoder(f); t.decode == nil {
		return nil
	}
	return t
}

// notLost reports a decoder error that loses no frame: a frame's packets
// so far, or the tail of a frame whose start came before the track's.
func notLost(err error) bool {
	for _, e := range []error{rtpvp8.ErrMorePacketsNeeded, rtpvp8.ErrNonStartingPacketAndNoPrevious,
		rtpvp9.ErrMorePacketsNeeded, rtpvp9.ErrNonStartingPacketAndNoPrevious,
		rtpav1.ErrMorePacketsNeeded, rtpav1.ErrNonStartingPacketAndNoPrevious,
		rtpmjpeg.ErrMorePacketsNeeded, rtpmjpeg.ErrNonStartingPacketAndNoPrevious} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// frame builds the Savant frame that u completes, if any. A unit the hub
// decoded already (AU set) is taken as it is; otherwise its RTP packet goes
// through the track's decoder. Frames before the first keyframe, and after a
// lost packet until the next keyframe, are skipped: a decoder could not use
// them.
func (t *frameTrack) frame(u *Unit) (savant.Frame, bool) {
	au := u.AU
	if au == nil {
		if u.RTP == nil {
			return savant.Frame{}, false
		}
		var err error
		au, err = t.decode(u.RTP)
		if err != nil {
			if !notLost(err) {
				t.started = false // a frame lost: its successors reference it
			}
			return savant.Frame{}, false
		}
		if au == nil {
			return savant.Frame{}, false
		}
	}
	key, w, h, data, err := t.parse(au)
	if err != nil {
		t.started = false
		return savant.Frame{}, false
	}
	if w > 0 && h > 0 {
		t.width, t.height = w, h
	}
	if !t.started && !key {
		return savant.Frame{}, false
	}
	t.started = true
	// No reordering in these streams: a frame is decoded when it is shown
	// (VP9 and AV1 hidden frames travel inside the frame or unit shown next).
	pts := max(0, toNs(u.PTS, t.clockRate))
	t.frames++
	switch {
	case t.frames == 1:
		t.firstPTS = u.PTS
	case t.frames == 2 && u.PTS > t.firstPTS:
		// The frame rate from the publisher's frame spacing (nothing in
		// these bitstreams carries one); the first frame has the default.
		t.framerate = framerate(float64(t.clockRate) / float64(u.PTS-t.firstPTS))
	}
	return savant.Frame{Codec: t.codec, Keyframe: key, PTS: pts, DTS: pts, Width: t.width, Height: t.height,
		Framerate: t.framerate, Data: data}, true
}

var errShort = errors.New("frame too short")

// parseVP8 reads a VP8 frame tag and, on a key frame, its size (RFC 6386
// section 9.1: a 3-byte tag whose lowest bit is 0 on a key frame, the start
// code 9d 01 2a, then 14-bit width and height with 2-bit scaling each).
// golang.org/x/image/vp8 parses the same header, but would bring newer
// golang.org/x/sys and x/text into the build for these 10 bytes.
func parseVP8(au [][]byte) (bool, int, int, []byte, error) {
	frame := au[0]
	if len(frame) < 3 {
		return false, 0, 0, nil, errShort
	}
	if frame[0]&1 != 0 {
		return false, 0, 0, frame, nil
	}
	if len(frame) < 10 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return false, 0, 0, nil, errors.New("VP8 key frame without its start code")
	}
	w := int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff)
	h := int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff)
	return true, w, h, frame, nil
}

// parseVP9 reads a VP9 frame's uncompressed header (mediacommon): a key
// frame is one that is neither shown from an earlier one nor inter-coded;
// its size is in the header. A superframe's first frame decides.
func parseVP9(au [][]byte) (bool, int, int, []byte, error) {
	frame := au[0]
	var h vp9.Header
	if err := h.Unmarshal(frame); err != nil {
		return false, 0, 0, nil, err
	}
	if h.ShowExistingFrame || h.NonKeyFrame {
		return false, 0, 0, frame, nil
	}
	return true, h.Width(), h.Height(), frame, nil
}

// AV1 OBU types (AV1 specification section 6.2.2).
const (
	obuSequenceHeader    = 1
	obuTemporalDelimiter = 2
	obuFrameHeader       = 3
	obuFrame             = 6
)

// parseAV1 reads a temporal unit: a keyframe carries a sequence header and
// its first frame is a KEY_FRAME (the uncompressed header's frame_type, or a
// reduced still picture header, which is always one); the size is the
// sequence header's maximum frame size (mediacommon). The unit goes out in
// the low-overhead bitstream format, as in an IVF or .obu file: a temporal
// delimiter first, every OBU with obu_has_size_field set.
func parseAV1(tu [][]byte) (bool, int, int, []byte, error) {
	hasSeq, stillPicture, key, frameSeen := false, false, false, false
	w, h := 0, 0
	size := 2 // the temporal delimiter
	for _, obu := range tu {
		if len(obu) == 0 {
			return false, 0, 0, nil, errShort
		}
		typ := (obu[0] >> 3) & 0xf
		payload, err := obuPayload(obu)
		if err != nil {
			return false, 0, 0, nil, err
		}
		switch typ {
		case obuTemporalDelimiter:
			continue // written once, in front
		case obuSequenceHeader:
			var sh av1.SequenceHeader
			if err := sh.Unmarshal(obu); err != nil {
				return false, 0, 0, nil, err
			}
			hasSeq, stillPicture = true, sh.ReducedStillPictureHeader
			w, h = sh.Width(), sh.Height()
		case obuFrameHeader, obuFrame:
			if !frameSeen && len(payload) > 0 {
				frameSeen = true
				// show_existing_frame (1 bit), then frame_type (2 bits):
				// KEY_FRAME is 0.
				key = stillPicture || payload[0]&0x80 == 0 && payload[0]&0x60 == 0
			}
		}
		size += len(obu) + 8
	}
	data := make([]byte, 0, size)
	data = append(data, obuTemporalDelimiter<<3|0x02, 0)
	for _, obu := range tu {
		typ := (obu[0] >> 3) & 0xf
		if typ == obuTemporalDelimiter {
			continue
		}
		payload, _ := obuPayload(obu)
		hdr := 1
		if obu[0]&0x04 != 0 { // extension header
			hdr = 2
		}
		data = append(data, obu[0]|0x02)
		data = append(data, obu[1:hdr]...)
		data = appendLEB128(data, uint64(len(payload)))
		data = append(data, payload...)
	}
	return hasSeq && key, w, h, data, nil
}

// obuPayload returns an OBU's payload: after its header (and extension),
// and after its size field when it has one.
func obuPayload(obu []byte) ([]byte, error) {
	hdr := 1
	if obu[0]&0x04 != 0 {
		hdr = 2
	}
	if len(obu) < hdr {
		return nil, errShort
	}
	if obu[0]&0x02 == 0 {
		return obu[hdr:], nil
	}
	var size av1.LEB128
	n, err := size.Unmarshal(obu[hdr:])
	if err != nil {
		return nil, err
	}
	rest := obu[hdr+n:]
	if uint64(size) > uint64(len(rest)) {
		return nil, errShort
	}
	return rest[:size], nil
}

func appendLEB128(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// parseJPEG reads a JPEG image's size from its frame header (image/jpeg);
// every image is a keyframe.
func parseJPEG(au [][]byte) (bool, int, int, []byte, error) {
	img := au[0]
	c, err := jpeg.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return false, 0, 0, nil, err
	}
	return true, c.Width, c.Height, img, nil
}
