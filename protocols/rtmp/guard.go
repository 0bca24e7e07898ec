package rtmp

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"
)

// maxDecodedBody bounds the messages gortmplib decodes into structures:
// AMF0 commands and data, video sequence starts and metadata (gortmplib
// takes up to 10 MiB). Its AMF0 decoder recurses once a nesting level (4
// bytes, about 350 bytes of stack): a 6 MiB message needs a 1 GiB stack,
// which kills the process ("fatal error: stack overflow", no recover
// catches it); 64 KiB needs at most 8 MiB. Real ones are a few KiB.
const maxDecodedBody = 64 << 10

var (
	errMessageTooLarge = fmt.Errorf("rtmp: an AMF0 command or data, or a video configuration or metadata, over %d bytes", maxDecodedBody)
	errPreAuthMedia    = errors.New("rtmp: audio or video before authentication")
)

// msgReader reads the client's messages as gortmplib's message.ReadWriter
// does (acknowledgements, ping answers, chunk and window sizes), but looks
// at each message before gortmplib decodes it: before authentication audio
// and video are refused (no client sends media before publish; decoding
// them means parsing enhanced-RTMP configuration boxes), and a message that
// would be decoded into a structure is refused past maxDecodedBody.
type msgReader struct {
	wire    *rawmessage.Reader
	w       *message.Writer
	preAuth func() bool
}

func newMsgReader(bc *bytecounter.ReadWriter, w *message.Writer, preAuth func() bool) *msgReader {
	wire := rawmessage.NewReader(bc, bc.Reader, func(count uint32) error {
		return w.Write(&message.Acknowledge{Value: count})
	})
	return &msgReader{wire: wire, w: w, preAuth: preAuth}
}

// Read returns the next message.
func (r *msgReader) Read() (message.Message, error) {
	raw, err := r.wire.Read()
	if err != nil {
		return nil, err
	}
	if err := r.check(raw); err != nil {
		return nil, err
	}
	msg, err := decode(raw)
	if err != nil {
		return nil, err
	}
	switch m := msg.(type) {
	case *message.SetChunkSize:
		err = r.wire.SetChunkSize(m.Value)
	case *message.SetWindowAckSize:
		r.wire.SetWindowAckSize(m.Value)
	case *message.Acknowledge:
		r.w.SetAcknowledgeValue(m.Value)
	case *message.UserControlPingRequest:
		err = r.w.Write(&message.UserControlPingResponse{ServerTime: m.ServerTime})
	}
	if err != nil {
		return nil, err
	}
	return msg, nil
}

func (r *msgReader) check(raw *rawmessage.Message) error {
	media := raw.Type == uint8(message.TypeAudio) || raw.Type == uint8(message.TypeVideo)
	if media && r.preAuth() {
		return errPreAuthMedia
	}
	if len(raw.Body) > maxDecodedBody && !isFrame(raw) {
		return errMessageTooLarge
	}
	return nil
}

// isFrame: raw is audio, or video other than a configuration or metadata;
// gortmplib copies frames without parsing them.
func isFrame(raw *rawmessage.Message) bool {
	switch {
	case raw.Type == uint8(message.TypeAudio):
		return true
	case raw.Type != uint8(message.TypeVideo) || len(raw.Body) < 2:
		return false
	case raw.Body[0]&0x80 == 0: // FLV video: AVCPacketType 0 is the configuration
		return raw.Body[1] != byte(message.VideoTypeConfig)
	}
	typ := message.VideoExType(raw.Body[0] & 0x0f)
	if typ == message.VideoExTypeMultitrack {
		typ = message.VideoExType(raw.Body[1] & 0x0f)
	}
	return typ == message.VideoExTypeCodedFrames || typ == message.VideoExTypeFramesX || typ == message.VideoExTypeSequenceEnd
}

// decode is gortmplib's decoding of one raw message: the message written
// out as one chunk and read back by a message reader of its own, so that
// the connection's reader sees every raw message first.
func decode(raw *rawmessage.Message) (message.Message, error) {
	var buf bytes.Buffer
	bc := bytecounter.NewReadWriter(&buf)
	size := max(uint32(len(raw.Body)), 128)
	w := rawmessage.NewWriter(bc, bc.Writer, false)
	// The reader takes the chunk size from the message, the writer from the call.
	if err := w.Write(&rawmessage.Message{ChunkStreamID: 2, Type: uint8(message.TypeSetChunkSize),
		Body: []byte{byte(size >> 24), byte(size >> 16), byte(size >> 8), byte(size)}}); err != nil {
		return nil, err
	}
	w.SetChunkSize(size)
	if err := w.Write(raw); err != nil {
		return nil, err
	}
	r := message.NewReader(bc, bc.Reader, nil)
	if _, err := r.Read(); err != nil {
		return nil, err
	}
	return r.Read()
}
