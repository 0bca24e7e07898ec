package rtmp_test

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/handshake"
	"github.com/bluenviron/gortmplib/pkg/message"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/protocols/rtmp"
	"github.com/streamgate/streamgate/protocols/stream"
)

// handshaken opens a raw RTMP connection to a server whose read timeout is
// a minute (so that a close within the test's wait is the server's
// decision, not the timeout) and runs the handshake.
func handshaken(t *testing.T) (net.Conn, *message.ReadWriter) {
	t.Helper()
	conf, err := config.Parse("test.yml", []byte("paths:\n  cam: {}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	hub := stream.NewHub(confmap.Paths(func() *config.Conf { return conf }), nil, logger)
	s, err := rtmp.Listen(rtmp.Config{Name: "rtmp", Address: "127.0.0.1:0", ReadTimeout: time.Minute,
		WriteTimeout: 5 * time.Second}, &fakeAuth{}, hub, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	bc := bytecounter.NewReadWriter(nc)
	if _, _, err := handshake.DoClient(bc, false, false); err != nil {
		t.Fatal(err)
	}
	return nc, message.NewReadWriter(bc, bc, false)
}

// waitClosed waits up to 10 s for the server to close nc.
func waitClosed(t *testing.T, nc net.Conn, what string) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, nc)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("%s: the connection is still open after 10 s", what)
	}
}

// TestPreAuthChunkSize: before authentication a client may not raise the
// chunk size past 64 KiB — with 10 MiB it would make the server allocate
// 10 MiB for a chunk whose header alone it has sent.
func TestPreAuthChunkSize(t *testing.T) {
	t.Parallel()
	nc, mrw := handshaken(t)
	if err := mrw.Write(&message.SetChunkSize{Value: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	// A chunk header announcing an 8 MiB command, and no body.
	if _, err := nc.Write([]byte{0x03, 0, 0, 0, 0x7f, 0xff, 0xff, 20, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, nc, "an 8 MiB chunk size before authentication")
}

// TestPreAuthBytes: a client may send at most 64 KiB before it is
// authenticated (messages other than commands included).
func TestPreAuthBytes(t *testing.T) {
	t.Parallel()
	nc, mrw := handshaken(t)
	go func() {
		for range 16 << 10 { // 16 Ki acknowledgements of 16 bytes: 256 KiB
			if mrw.Write(&message.Acknowledge{Value: 1}) != nil {
				return
			}
		}
	}()
	waitClosed(t, nc, "256 KiB of acknowledgements before authentication")
}

// TestPreAuthMedia: audio or video before authentication (no client sends
// any before publish) ends the connection before gortmplib decodes it.
func TestPreAuthMedia(t *testing.T) {
	t.Parallel()
	nc, mrw := handshaken(t)
	if err := mrw.Write(&message.VideoExCodedFrames{ChunkStreamID: 6, MessageStreamID: 1,
		FourCC: message.FourCCAV1, Payload: []byte{0x12, 0x00}}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, nc, "a video message before authentication")
}
