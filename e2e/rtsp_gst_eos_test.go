package e2e_test

// GStreamer's rtspclientsink at its end of stream. Issue 17 saw it exit with
// "Could not send message. (Received end-of-file)" 1.4 s after its publish
// was granted. Recorded through rtspTap (below), the exchange shows that
// the server is not the cause:
//
//   - rtspclientsink sends no TEARDOWN: it closes the connection itself,
//     and the server closes its side only after reading that EOF;
//   - in the failing runs the client's last interleaved frame (its RTCP
//     sender report + BYE, scheduled by rtpsession when the EOS arrives) is
//     missing, and GST_DEBUG shows the BYE being sent by the RTCP thread
//     just after gst-launch, on the EOS message, began shutting the pipeline
//     down ("connection flush … set flushing 1"). The flush cancels the
//     write; gstrtspconnection.c's writev_bytes maps a cancelled write that
//     sent 0 bytes to GST_RTSP_EEOF, whose text is "Received end-of-file".
//
// It is a race inside the client (about 1 run in 30 on an idle machine,
// more under load). Under load the client has a second one: about 1 run in
// 13 with two CPU-bound loops running (1 in 20 seen idle), gst-launch never
// finishes after the stream: no BYE is sent, its RTCP reports and
// GET_PARAMETER keepalives go on over the open connection, and the server
// answers each at once. Its cause inside GStreamer was not pinned down. The tests below hold
// the server to what it controls — every request answered, the RECORD
// granted, never the first to close — and accept the client's failure
// only when the tap shows exactly one of these races.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// gstEOSRace is what rtspclientsink prints when its own shutdown cancels
// its last RTCP write.
const gstEOSRace = "Could not send message. (Received end-of-file)"

// rtspTap is a loopback TCP proxy in front of an RTSP listener that keeps,
// per connection, the requests, the answers' status codes, the client's
// interleaved frames and which side closed first.
type rtspTap struct {
	target string
	l      net.Listener
	mu     sync.Mutex
	conns  []*tapConn
	wg     sync.WaitGroup
}

// tapConn is one connection as the tap saw it.
type tapConn struct {
	Methods      []string // requests from the client, in order
	Statuses     []int    // answers from the server, in order
	ClientFrames int      // interleaved frames from the client
	ClosedFirst  string   // "client" or "server": who closed first; "" while open
	Done         bool     // both directions ended
}

// startRTSPTap listens on 127.0.0.1:0 in front of target; it stops when the
// test ends.
func startRTSPTap(t testing.TB, target string) *rtspTap {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("rtsp tap: %v", err)
	}
	p := &rtspTap{target: target, l: l}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { l.Close(); p.wg.Wait() })
	return p
}

// Addr is the tap's address.
func (p *rtspTap) Addr() string { return p.l.Addr().String() }

// Conns is a copy of what the tap saw so far, oldest first.
func (p *rtspTap) Conns() []tapConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]tapConn, len(p.conns))
	for i, c := range p.conns {
		out[i] = *c
		out[i].Methods = append([]string(nil), c.Methods...)
		out[i].Statuses = append([]int(nil), c.Statuses...)
	}
	return out
}

// waitDone waits until the n-th connection (from 0) has ended both ways.
func (p *rtspTap) waitDone(t testing.TB, n int, timeout time.Duration) tapConn {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cs := p.Conns(); len(cs) > n && cs[n].Done {
			return cs[n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("rtsp tap: connection %d not ended after %s: %+v", n, timeout, p.Conns())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *rtspTap) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		tc := &tapConn{}
		p.mu.Lock()
		p.conns = append(p.conns, tc)
		p.mu.Unlock()
		var ended sync.WaitGroup
		ended.Add(2)
		p.wg.Add(2)
		go func() { defer p.wg.Done(); defer ended.Done(); p.pump(tc, true, c, s) }()
		go func() { defer p.wg.Done(); defer ended.Done(); p.pump(tc, false, s, c) }()
		go func() {
			ended.Wait()
			c.Close()
			s.Close()
			p.mu.Lock()
			tc.Done = true
			p.mu.Unlock()
		}()
	}
}

// pump copies src to dst message by message, noting requests (fromClient)
// or answers, and the interleaved frames. At src's end it half-closes dst,
// as the peer did.
func (p *rtspTap) pump(tc *tapConn, fromClient bool, src, dst net.Conn) {
	r := bufio.NewReader(src)
	defer func() {
		p.mu.Lock()
		if tc.ClosedFirst == "" {
			tc.ClosedFirst = map[bool]string{true: "client", false: "server"}[fromClient]
		}
		p.mu.Unlock()
		if c, ok := dst.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
	}()
	for {
		b, err := r.Peek(1)
		if err != nil {
			return
		}
		if b[0] == '$' {
			var h [4]byte
			if _, err := io.ReadFull(r, h[:]); err != nil {
				return
			}
			frame := make([]byte, 4+(int(h[2])<<8|int(h[3])))
			copy(frame, h[:])
			if _, err := io.ReadFull(r, frame[4:]); err != nil {
				return
			}
			if fromClient {
				p.mu.Lock()
				tc.ClientFrames++
				p.mu.Unlock()
			}
			if _, err := dst.Write(frame); err != nil {
				return
			}
			continue
		}
		var msg strings.Builder
		length := 0
		for {
			line, err := r.ReadString('\n')
			msg.WriteString(line)
			if err != nil {
				return
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "content-length") {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if line == "\r\n" || line == "\n" {
				break
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		first := strings.Fields(msg.String())
		p.mu.Lock()
		switch {
		case len(first) == 0:
		case fromClient:
			tc.Methods = append(tc.Methods, first[0])
		case len(first) > 1:
			code, _ := strconv.Atoi(first[1])
			tc.Statuses = append(tc.Statuses, code)
		}
		p.mu.Unlock()
		if _, err := dst.Write(append([]byte(msg.String()), body...)); err != nil {
			return
		}
	}
}

// gstPublishThroughTap runs an rtspclientsink pipeline (args, whose
// location must point at tap) to its end of stream and judges it as the
// tap's connection n: the server answered every request, granted the RECORD
// and did not close first. The client exits 0, or meets one of its own
// end-of-stream races (see the top of this file): the EEOF of its cancelled
// RTCP BYE, or — under load — a pipeline that never ends (the connection
// stays open, its keepalives answered), which is killed after wait. It
// returns what the client did: "ok", "eeof" or "hang".
func gstPublishThroughTap(t testing.TB, what string, tap *rtspTap, n int, wait time.Duration, args ...string) string {
	t.Helper()
	return gstJudgeEnd(t, what, tap, n, wait, startPeer(t, "gst-launch-1.0", args...))
}

// gstJudgeEnd is gstPublishThroughTap for a publisher already started (or
// interrupted, with -e, to end its stream).
func gstJudgeEnd(t testing.TB, what string, tap *rtspTap, n int, wait time.Duration, p *peerProc) string {
	t.Helper()
	outcome := "ok"
	select {
	case <-p.done:
	case <-time.After(wait):
		c := tap.Conns()
		if len(c) <= n || c[n].ClosedFirst != "" || !recordGranted(c[n]) {
			t.Fatalf("%s: gst-launch-1.0 still running after %s; tap %+v:\n%s", what, wait, c, p.tail(2000))
		}
		outcome = "hang"
		p.kill()
	}
	c := tap.waitDone(t, n, 10*time.Second)
	if len(c.Statuses) != len(c.Methods) {
		t.Errorf("%s: %d requests %v, %d answers %v", what, len(c.Methods), c.Methods, len(c.Statuses), c.Statuses)
	}
	if !recordGranted(c) {
		t.Errorf("%s: no RECORD answered 200 (requests %v, answers %v)", what, c.Methods, c.Statuses)
	}
	if outcome == "hang" {
		t.Logf("%s: rtspclientsink did not end after its stream (all of %v answered, %d frames, connection open): killed", what, c.Methods, c.ClientFrames)
		return outcome
	}
	if c.ClosedFirst != "client" {
		t.Errorf("%s: the server closed the connection first (requests %v, answers %v, %d frames)", what, c.Methods, c.Statuses, c.ClientFrames)
	}
	if p.code == 0 {
		return outcome
	}
	if out := p.tail(2000); !strings.Contains(out, gstEOSRace) || c.ClosedFirst != "client" {
		t.Errorf("%s: gst-launch-1.0 exited %d:\n%s", what, p.code, out)
		return "failed"
	}
	t.Logf("%s: rtspclientsink's own end-of-stream race (%q); the server answered all of %v and the client closed first", what, gstEOSRace, c.Methods)
	return "eeof"
}

// recordGranted says whether the server answered a RECORD with 200.
func recordGranted(c tapConn) bool {
	for i, m := range c.Methods {
		if m == "RECORD" && i < len(c.Statuses) && c.Statuses[i] == 200 {
			return true
		}
	}
	return false
}

// gstPublishArgs is an rtspclientsink pipeline of frames live test frames
// at 25 fps (H.264) to location.
func gstPublishArgs(frames int, location string, more ...string) []string {
	return append([]string{"-q", "videotestsrc", fmt.Sprintf("num-buffers=%d", frames), "is-live=true",
		"!", "video/x-raw,width=160,height=120,framerate=25/1",
		"!", "x264enc", "tune=zerolatency", "key-int-max=10", "speed-preset=ultrafast",
		"!", "h264parse",
		"!", "rtspclientsink", "location=" + location, "protocols=tcp"}, more...)
}

// An rtspclientsink publish to its end of stream, 20 times: each is
// granted, answered in full and ended by the client, never by the server.
func TestRTSPGStreamerEndOfStream(t *testing.T) {
	t.Parallel()
	testharness.RequireGStreamer(t, rtspGstElements...)
	d := startRTSPDaemon(t, rtspSetup{paths: "  gst: {}\n"})
	tap := startRTSPTap(t, d.Addr("rtsp"))
	const runs = 20
	seen := map[string]int{}
	for i := range runs {
		// A third of a second of frames (gortsplib holds its answer to a
		// GStreamer client's SETUP for 1 s, a workaround of its own).
		loc := "rtsp://" + rtspPubUser + ":" + rtspPubPass + "@" + tap.Addr() + "/gst"
		seen[gstPublishThroughTap(t, fmt.Sprintf("run %d", i+1), tap, i, 10*time.Second, gstPublishArgs(8, loc)...)]++
		rtspWaitGone(t, d, "gst", 5*time.Second)
	}
	t.Logf("rtspclientsink over %d runs: %v", runs, seen)
}
