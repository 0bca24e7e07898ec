package e2e_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRTSPRequestBodyLimit: an RTSP request may carry at most 128 KiB of
// body (gortsplib's bound: it reads and parses a request before the
// handler authenticates it); one declaring 16 MiB ends the connection
// unanswered, one within the bound is answered (here 400: not an SDP).
func TestRTSPRequestBodyLimit(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{})
	announce := func(length int, body string) (*bufio.Reader, net.Conn) {
		nc, err := net.Dial("tcp", d.Addr("rtsp"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nc.Close() })
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(nc, "ANNOUNCE rtsp://%s/cam RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
			d.Addr("rtsp"), length, body)
		return bufio.NewReader(nc), nc
	}

	br, _ := announce(16<<20, "")
	if line, err := br.ReadString('\n'); err == nil {
		t.Errorf("a 16 MiB ANNOUNCE was answered %q; want the connection closed", line)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("a 16 MiB ANNOUNCE: the connection is still open after 10 s")
	}

	body := strings.Repeat("a=x\r\n", 20<<10) // 100 KiB
	br, _ = announce(len(body), body)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "RTSP/1.0 4") {
		t.Errorf("a 100 KiB ANNOUNCE without credentials: %q, %v; want a 4xx answer", line, err)
	}
}

// TestHTTPHeaderLimit: every HTTP listener refuses request headers over
// 64 KiB (431) before any handler or authentication runs.
func TestHTTPHeaderLimit(t *testing.T) {
	t.Parallel()
	ep := t.TempDir()
	d := startForwardingGateway(t, "  url: pub+bind:ipc://"+ep+"/hdr\n")
	nc, err := net.Dial("tcp", d.Addr("gateway"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		fmt.Fprintf(nc, "POST / HTTP/1.1\r\nHost: gw\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 200<<10))
	}()
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 KiB of headers: status %d, want 431", resp.StatusCode)
	}
}
