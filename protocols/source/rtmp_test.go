package source

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/internal/testharness"
)

// An rtmp:// upstream that plays a stream, then sends pings and stops
// reading: gortmplib's client answers each ping from inside its read, and
// once the socket's buffers are full that answer blocks. Only read
// deadlines were set, so the source hung for ever (an attacker's review);
// now a write deadline ends it: a source error, and a retry.
func TestRTMPServerNotReading(t *testing.T) {
	t.Parallel()
	// A small receive buffer (set before listen, so that the window is
	// small from the start) fills sooner.
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // one connection: the source's retries find nobody answering
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		sc := &gortmplib.ServerConn{RW: c}
		if sc.Initialize() != nil || sc.Accept() != nil {
			return
		}
		track := &gortmplib.Track{Codec: &codecs.H264{SPS: fuzzSPS, PPS: fuzzPPS}}
		w := &gortmplib.Writer{Conn: sc, Tracks: []*gortmplib.Track{track}}
		if w.Initialize() != nil {
			return
		}
		for _, d := range []time.Duration{0, 3 * time.Second} { // past gortmplib's 2 s probe
			if w.WriteH264(track, d, d, [][]byte{{0x65, 0x88, 0x84}}) != nil {
				return
			}
		}
		for i := uint32(0); ; i++ {
			if sc.Write(&message.UserControlPingRequest{ServerTime: i}) != nil {
				return
			}
		}
	}()
	r, m, logs := testRunner(t, "rtmp://"+ln.Addr().String()+"/live/cam", runRTMP)
	r.Start()
	t.Cleanup(r.Stop)
	// The event is the warning the runner logs after counting the error
	// (reading the log as soon as the counter moved raced that line: make
	// test-stress).
	testharness.WaitFor(t, "the stuck source noticed", 120*time.Second, func() bool {
		return strings.Contains(logs.String(), "source failed; retrying")
	})
	if l := logs.String(); !strings.Contains(l, "i/o timeout") || testutil.ToFloat64(m.errors.WithLabelValues("rtmp")) < 1 {
		t.Errorf("the source did not end on a timeout, counted:\n%s", l)
	}
}
