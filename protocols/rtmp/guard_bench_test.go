package rtmp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"
)

// frameStream is a publisher's chunk stream of n FLV H.264 inter frames of
// size bytes, at chunk size 4096 (what ffmpeg and OBS set).
func frameStream(b *testing.B, n, size int) []byte {
	b.Helper()
	var buf bytes.Buffer
	w := rawmessage.NewWriter(&buf, bytecounter.NewWriter(&buf), false)
	if err := w.Write(&rawmessage.Message{ChunkStreamID: 2, Type: uint8(message.TypeSetChunkSize),
		Body: binary.BigEndian.AppendUint32(nil, 4096)}); err != nil {
		b.Fatal(err)
	}
	w.SetChunkSize(4096)
	body := append([]byte{0x27, 0x01, 0, 0, 0}, make([]byte, size-5)...)
	for i := range n {
		if err := w.Write(&rawmessage.Message{ChunkStreamID: 6, Type: uint8(message.TypeVideo), MessageStreamID: streamID,
			Timestamp: time.Duration(i) * 40 * time.Millisecond, Body: body}); err != nil {
			b.Fatal(err)
		}
	}
	return buf.Bytes()
}

// BenchmarkReadFrames: what the message guard costs a publisher's frames.
// "gortmplib" is gortmplib's message reader on the stream; "guard" is the
// session's (the guard's check, then the raw message written again for
// gortmplib's decoder); "upstream" is gortmplib's message reader behind
// GuardUpstream (an rtmp:// source's). One op is one frame.
func BenchmarkReadFrames(b *testing.B) {
	const frames = 500
	for _, size := range []int{1 << 10, 30 << 10} {
		stream := frameStream(b, frames, size)
		kinds := map[string]func(io.Reader) func() (message.Message, error){
			"gortmplib": func(r io.Reader) func() (message.Message, error) {
				bc := bytecounter.NewReadWriter(struct {
					io.Reader
					io.Writer
				}{r, io.Discard})
				return message.NewReader(bc, bc.Reader, func(uint32) error { return nil }).Read
			},
			"guard": func(r io.Reader) func() (message.Message, error) {
				bc := bytecounter.NewReadWriter(struct {
					io.Reader
					io.Writer
				}{r, io.Discard})
				return newMsgReader(bc, message.NewWriter(bc, bc.Writer, false), func() bool { return false }).Read
			},
			"upstream": func(r io.Reader) func() (message.Message, error) {
				g := GuardUpstream(&readerConn{Reader: r}).(*upstreamGuard)
				g.handshake = 0
				b.Cleanup(func() { g.Close() })
				bc := bytecounter.NewReadWriter(g)
				return message.NewReader(bc, bc.Reader, func(uint32) error { return nil }).Read
			},
		}
		for _, kind := range []string{"gortmplib", "guard", "upstream"} {
			b.Run(fmt.Sprintf("%s/%dKiB", kind, size>>10), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				var read func() (message.Message, error)
				left := 0
				for range b.N {
					if left == 0 {
						b.StopTimer()
						read, left = kinds[kind](bytes.NewReader(stream)), frames
						if _, err := read(); err != nil { // the chunk size
							b.Fatal(err)
						}
						b.StartTimer()
					}
					if _, err := read(); err != nil {
						b.Fatal(err)
					}
					left--
				}
			})
		}
	}
}

// readerConn is a net.Conn that reads from an io.Reader.
type readerConn struct {
	net.Conn
	io.Reader
}

func (c *readerConn) Read(p []byte) (int, error) { return c.Reader.Read(p) }
func (c *readerConn) Close() error               { return nil }
