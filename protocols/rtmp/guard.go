package rtmp

import (
	"bytes"
	"encoding/binary"
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
	errChunkSizeSmall  = fmt.Errorf("rtmp: a chunk size under %d bytes", minChunkSize)
)

// minChunkSize is the smallest chunk size a peer may set (the protocol's
// default; clients and servers raise it). gortmplib takes any: at 0 a
// message never completes while every 1-byte chunk header adds a fragment
// to it (56 times the bytes received in memory, twice behind
// GuardUpstream), at 1 each byte of a body costs a fragment.
const minChunkSize = 128

// msgReader reads the client's messages as gortmplib's message.ReadWriter
// does (acknowledgements, ping answers, chunk and window sizes), but looks
// at each message before gortmplib decodes it: before authentication audio
// and video are refused (no client sends media before publish; decoding
// them means parsing enhanced-RTMP configuration boxes), and a message that
// would be decoded into a structure is refused past maxDecodedBody.
type msgReader struct {
	wire    *rawmessage.Reader
	dec     *decoder
	w       *message.Writer
	preAuth func() bool
}

func newMsgReader(bc *bytecounter.ReadWriter, w *message.Writer, preAuth func() bool) *msgReader {
	wire := rawmessage.NewReader(bc, bc.Reader, func(count uint32) error {
		return w.Write(&message.Acknowledge{Value: count})
	})
	return &msgReader{wire: wire, dec: newDecoder(), w: w, preAuth: preAuth}
}

// Read returns the next message.
func (r *msgReader) Read() (message.Message, error) {
	raw, err := r.wire.Read()
	if err != nil {
		return nil, err
	}
	if err := checkMessage(raw, r.preAuth()); err != nil {
		return nil, err
	}
	msg, err := r.dec.decode(raw)
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

// checkMessage is the guard on a message gortmplib is about to decode:
// errPreAuthMedia for audio or video before authentication (preAuth),
// errMessageTooLarge for a structure over maxDecodedBody,
// errChunkSizeSmall for a chunk size under minChunkSize.
func checkMessage(raw *rawmessage.Message, preAuth bool) error {
	if raw.Type == uint8(message.TypeSetChunkSize) && len(raw.Body) >= 4 &&
		binary.BigEndian.Uint32(raw.Body)&0x7fffffff < minChunkSize {
		return errChunkSizeSmall
	}
	media := raw.Type == uint8(message.TypeAudio) || raw.Type == uint8(message.TypeVideo)
	if media && preAuth {
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

// decoder is gortmplib's decoding of raw messages: each is written, as one
// chunk, into a buffer that a gortmplib message reader of its own reads
// back, so that the connection's reader sees every raw message first. The
// writer and the reader keep their chunk stream state between messages, as
// a client and a server do. A decoding error ends the connection: the pair
// is not used after one.
type decoder struct {
	buf bytes.Buffer
	w   *rawmessage.Writer
	r   *message.Reader
}

// decoderChunkSize is the decoder's chunk size: gortmplib's bound on chunk
// sizes and message bodies, so that every message is one chunk.
const decoderChunkSize = 10 << 20

func newDecoder() *decoder {
	d := &decoder{}
	bc := bytecounter.NewReadWriter(&d.buf)
	d.w = rawmessage.NewWriter(bc, bc.Writer, false)
	d.r = message.NewReader(bc, bc.Reader, func(uint32) error { return nil })
	if err := d.resize(); err != nil {
		panic(err) // writing to and reading from memory
	}
	return d
}

// resize sets both sides' chunk size to decoderChunkSize: the reader takes
// it from a SetChunkSize message, the writer from the call.
func (d *decoder) resize() error {
	if err := d.w.Write(&rawmessage.Message{ChunkStreamID: 2, Type: uint8(message.TypeSetChunkSize),
		Body: binary.BigEndian.AppendUint32(nil, decoderChunkSize)}); err != nil {
		return err
	}
	d.w.SetChunkSize(decoderChunkSize)
	_, err := d.r.Read()
	return err
}

// decode returns raw as gortmplib's reader makes it.
func (d *decoder) decode(raw *rawmessage.Message) (message.Message, error) {
	if err := d.w.Write(raw); err != nil {
		return nil, err
	}
	msg, err := d.r.Read()
	if err != nil {
		return nil, err
	}
	if d.buf.Cap() > 1<<20 {
		d.buf = bytes.Buffer{} // empty; the writer and the reader hold &d.buf
	}
	if _, ok := msg.(*message.SetChunkSize); ok {
		// The reader took the client's chunk size: put it back.
		if err := d.resize(); err != nil {
			return nil, err
		}
	}
	return msg, nil
}
