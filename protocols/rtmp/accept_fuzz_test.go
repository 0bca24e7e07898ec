package rtmp

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// FuzzRTMPAccept feeds any byte stream to accept, the server side of the
// handshake and of the command exchange up to publish or play — all the
// RTMP a client reaches before authentication: it never panics, ends
// (the input is finite), and what it accepts has a stream key and a
// connect app that ParseTarget turns into a path without a query or
// surrounding slashes. Seeds (testdata/fuzz/FuzzRTMPAccept) are the
// opening bytes ffmpeg and GStreamer sent to the daemon (recorded for the
// network fuzzer, e2e/testdata/netfuzz) and variants of them.
// hangTimeout is how long accept may take on a finite input before the
// fuzz target calls it a hang (the input is read from memory: any real
// run takes microseconds).
const hangTimeout = 5 * time.Second

func FuzzRTMPAccept(f *testing.F) {
	f.Add([]byte{3})
	f.Fuzz(func(t *testing.T, in []byte) {
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(in), io.Discard}
		type result struct {
			s   *session
			err error
		}
		done := make(chan result, 1)
		go func() {
			s, err := accept(rw)
			done <- result{s, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(hangTimeout):
			t.Fatalf("accept did not return within %s on %d bytes of input", hangTimeout, len(in))
		}
		s, err := r.s, r.err
		if err != nil {
			if s != nil {
				t.Fatalf("accept returned a session and the error %v", err)
			}
			return
		}
		if s.cmd == nil || (s.cmd.Name == "publish") != s.publish {
			t.Fatalf("accepted without a publish or play command: %+v", s)
		}
		target := ParseTarget(s.app, s.key)
		if strings.Contains(target.Path, "?") || strings.HasPrefix(target.Path, "/") || strings.HasSuffix(target.Path, "/") {
			t.Fatalf("ParseTarget(%q, %q).Path = %q", s.app, s.key, target.Path)
		}
	})
}
