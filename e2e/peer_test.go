package e2e_test

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// runFor runs name with args to completion (killed after timeout) and
// returns its output (standard output and error).
func runFor(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// peerProc is a running peer program (ffmpeg, gst-launch-1.0, …).
type peerProc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	code int
}

// The per-protocol test files name the same type after their protocol.
type (
	rtspProc = peerProc
	srtProc  = peerProc
)

func (p *peerProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// startPeer runs a peer; it is killed when the test ends, and the end of its
// output shown if the test failed.
func startPeer(t testing.TB, name string, args ...string) *peerProc {
	t.Helper()
	p := &peerProc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s %s\n%s", name, strings.Join(args, " "), p.tail(3000))
		}
	})
	return p
}

// startFFmpeg runs ffmpeg quietly with args in the background.
func startFFmpeg(t *testing.T, bin string, args ...string) *peerProc {
	t.Helper()
	return startPeer(t, bin, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
}

// tail is the end of the peer's output, n bytes at most (ffmpeg's progress
// lines end in \r).
func (p *peerProc) tail(n int) string {
	p.mu.Lock()
	s := strings.ReplaceAll(p.out.String(), "\r", "\n")
	p.mu.Unlock()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// wait waits up to timeout for the peer to exit and returns its exit code;
// it fails the test when the peer is still running.
func (p *peerProc) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		t.Fatalf("%s still running after %s:\n%s", p.name, timeout, p.tail(2000))
		return -1
	}
}

// interrupt asks the peer to stop as a user's Ctrl-C would (ffmpeg then
// closes its session cleanly).
func (p *peerProc) interrupt() { _ = p.cmd.Process.Signal(syscall.SIGINT) }

// stop interrupts the peer and waits for it.
func (p *peerProc) stop(t testing.TB) {
	t.Helper()
	p.interrupt()
	p.wait(t, 10*time.Second)
}

// kill ends the peer at once and waits for it.
func (p *peerProc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// ffmpegFrameRE is ffmpeg's progress count of decoded frames.
var ffmpegFrameRE = regexp.MustCompile(`frame=\s*(\d+)`)

// frames is the peer's last ffmpeg progress count of frames ("frame=";
// ffmpeg prints one about twice a second), 0 before the first.
func (p *peerProc) frames() int {
	p.mu.Lock()
	m := ffmpegFrameRE.FindAllSubmatch(p.out.Bytes(), -1)
	p.mu.Unlock()
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(string(m[len(m)-1][1]))
	return n
}

// waitFrames waits up to timeout for each ffmpeg reader's frame count to
// grow by n; it fails the test when a reader exits or stalls.
func waitFrames(t testing.TB, what string, n int, timeout time.Duration, readers ...*peerProc) {
	t.Helper()
	from := make([]int, len(readers))
	for i, r := range readers {
		from[i] = r.frames()
	}
	deadline := time.Now().Add(timeout)
	for i, r := range readers {
		for r.frames() < from[i]+n {
			select {
			case <-r.done:
				t.Fatalf("%s: reader %d exited (code %d) after %d frames:\n%s", what, i+1, r.code, r.frames(), r.tail(2000))
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: reader %d decoded %d frames in %s, want %d more:\n%s",
					what, i+1, r.frames()-from[i], timeout, n, r.tail(2000))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// ffmpegDecode reads up to frames video frames from src (rtsp://, rtmp://,
// srt://…) with ffmpeg, decoding them, and returns how many it decoded
// (ffmpeg's last "frame=" count), its exit code and its output. inputOpts go
// before -i; an rtsp:// source without them is read over TCP.
func ffmpegDecode(t testing.TB, src string, frames int, inputOpts ...string) (decoded, code int, out string) {
	t.Helper()
	testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	if len(inputOpts) == 0 && strings.HasPrefix(src, "rtsp://") {
		inputOpts = []string{"-rtsp_transport", "tcp"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := append([]string{"-hide_banner", "-nostdin"}, inputOpts...)
	args = append(args, "-i", src, "-frames:v", strconv.Itoa(frames), "-f", "null", "-")
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	b, err := cmd.CombinedOutput()
	out = strings.ReplaceAll(string(b), "\r", "\n")
	if ctx.Err() != nil {
		t.Fatalf("ffmpeg reading %s did not finish within 20 s:\n%s", src, out)
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run ffmpeg: %v", err)
	}
	if m := ffmpegFrameRE.FindAllStringSubmatch(out, -1); len(m) > 0 {
		decoded, _ = strconv.Atoi(m[len(m)-1][1])
	}
	return decoded, cmd.ProcessState.ExitCode(), out
}
