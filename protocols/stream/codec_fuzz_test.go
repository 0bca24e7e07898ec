package stream_test

import (
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp8"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/pion/rtp"

	"github.com/streamgate/streamgate/protocols/stream"
)

// FuzzFrameCodecs feeds what a camera or a WHIP publisher could send as
// VP8, VP9 or AV1 RTP payloads through the hub's depacketizers, the
// keyframe checks of the WHEP senders and the packetizers of the RTSP and
// WHEP readers: nothing may panic. Input: payloads, each prefixed by its
// length (one byte; its top bit is the RTP marker).
func FuzzFrameCodecs(f *testing.F) {
	f.Add([]byte{0x87, 0x10, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01})                         // VP8 keyframe start
	f.Add([]byte{0x86, 0x88, 0x80, 0x01, 0x82, 0x49, 0x83})                               // VP9 B|E, picture ID
	f.Add([]byte{0x88, 0x18, 0x0a, 0x02, 0x00, 0x00, 0x32, 0x02, 0x10})                   // AV1 N, sequence header, frame
	f.Add([]byte{0x02, 0x40, 0x01, 0x84, 0x80, 0x0a, 0x01, 0x00, 0x03, 0xc0, 0x32, 0x01}) // fragments
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range []format.Format{&format.VP8{PayloadTyp: 96}, &format.VP9{PayloadTyp: 96}, &format.AV1{PayloadTyp: 96}, &format.MJPEG{}} {
			decode, encode := stream.RTPDecoder(fm), stream.RTPEncoder(fm)
			seq := uint16(0)
			for rest := data; len(rest) > 0; {
				n := int(rest[0] & 0x7f)
				marker := rest[0]&0x80 != 0
				rest = rest[1:]
				n = min(n, len(rest))
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: fm.PayloadType(), SequenceNumber: seq, Timestamp: uint32(seq/3) * 3000,
					Marker: marker}, Payload: rest[:n]}
				rest = rest[n:]
				seq++
				au, err := decode(pkt)
				if err != nil || len(au) == 0 {
					continue
				}
				switch fm.(type) {
				case *format.VP8:
					_ = vp8.IsRandomAccess(au[0])
				case *format.VP9:
					_ = vp9.IsRandomAccess(au[0])
				case *format.AV1:
					_ = av1.IsRandomAccess2(au)
				}
				_, _ = encode(au)
			}
		}
	})
}
