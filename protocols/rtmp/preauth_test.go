package rtmp_test

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/handshake"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/internal/testharness"
	"github.com/streamgate/streamgate/protocols/rtmp"
	"github.com/streamgate/streamgate/protocols/stream"
)

// handshaken opens a raw RTMP connection to a server whose read timeout is
// a minute (so that a close within the test's wait is the server's
// decision, not the timeout) and runs the handshake; reg has the server's
// metrics.
func handshaken(t *testing.T) (nc net.Conn, mrw *message.ReadWriter, reg *prometheus.Registry) {
	t.Helper()
	conf, err := config.Parse("test.yml", []byte("paths:\n  cam: {}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	hub := stream.NewHub(confmap.Paths(func() *config.Conf { return conf }), nil, logger)
	reg = prometheus.NewRegistry()
	s, err := rtmp.Listen(rtmp.Config{Name: "rtmp", Address: "127.0.0.1:0", ReadTimeout: time.Minute,
		WriteTimeout: 5 * time.Second, Metrics: rtmp.NewMetrics(reg)}, &fakeAuth{}, hub, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	nc, err = net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	bc := bytecounter.NewReadWriter(nc)
	if _, _, err := handshake.DoClient(bc, false, false); err != nil {
		t.Fatal(err)
	}
	return nc, message.NewReadWriter(bc, bc, false), reg
}

// wantCounted waits for the server's counter name to reach 1.
func wantCounted(t *testing.T, reg *prometheus.Registry, name string) {
	t.Helper()
	testharness.WaitFor(t, name+" counted", 10*time.Second, func() bool {
		return testharness.GatheredMetric(t, reg, name, nil) == 1
	})
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
	nc, mrw, reg := handshaken(t)
	if err := mrw.Write(&message.SetChunkSize{Value: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	// A chunk header announcing an 8 MiB command, and no body.
	if _, err := nc.Write([]byte{0x03, 0, 0, 0, 0x7f, 0xff, 0xff, 20, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, nc, "an 8 MiB chunk size before authentication")
	wantCounted(t, reg, "streamgate_rtmp_chunk_size_refused_total")
}

// TestPreAuthChunkSizeZero: a chunk size of 0 (then one-byte chunk headers
// grow a message that never completes: 56 times the bytes sent, in
// memory, within the 64 KiB allowed before authentication) is refused at
// its message and counted. Seen failing without the floor: nothing
// counted (the connection ended on a later error, after the fragments).
func TestPreAuthChunkSizeZero(t *testing.T) {
	t.Parallel()
	nc, _, reg := handshaken(t)
	// SetChunkSize 0 on chunk stream 2; a 100-byte command's header on
	// chunk stream 3; one-byte continuation headers.
	in := []byte{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 100, 20, 0, 0, 0, 0}
	_, _ = nc.Write(append(in, bytes.Repeat([]byte{0xc3}, 4096)...))
	waitClosed(t, nc, "a chunk size of 0 before authentication")
	wantCounted(t, reg, "streamgate_rtmp_chunk_size_refused_total")
}

// TestPreAuthBytes: a client may send at most 64 KiB before it is
// authenticated (messages other than commands included).
func TestPreAuthBytes(t *testing.T) {
	t.Parallel()
	nc, mrw, _ := handshaken(t)
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
	nc, mrw, reg := handshaken(t)
	if err := mrw.Write(&message.VideoExCodedFrames{ChunkStreamID: 6, MessageStreamID: 1,
		FourCC: message.FourCCAV1, Payload: []byte{0x12, 0x00}}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, nc, "a video message before authentication")
	wantCounted(t, reg, "streamgate_rtmp_messages_refused_total")
}
