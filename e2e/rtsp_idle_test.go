package e2e_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestRTSPIdleConnectionClosedAfterReadTimeout: an RTSP connection that
// sends nothing more after a request is closed after readTimeout, not
// after gortsplib's 60 s default. The test waits for the close itself (the
// read ends with EOF); its 30 s deadline only bounds a daemon that never
// closes.
func TestRTSPIdleConnectionClosedAfterReadTimeout(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{top: "readTimeout: 2s\n"})
	conn, err := net.DialTimeout("tcp", d.Addr("rtsp"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("OPTIONS rtsp://" + d.Addr("rtsp") + "/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = io.Copy(io.Discard, conn) // the OPTIONS answer, then the close
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("an idle RTSP connection was still open 30 s later, with readTimeout: 2s")
	}
}
