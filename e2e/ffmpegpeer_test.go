package e2e_test

import (
	"bytes"
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// ffmpegProc is a running ffmpeg (a publisher), killed when the test ends.
type ffmpegProc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	once sync.Once
	done chan struct{}
}

// startFFmpeg runs ffmpeg with args in the background.
func startFFmpeg(t *testing.T, bin string, args ...string) *ffmpegProc {
	t.Helper()
	p := &ffmpegProc{out: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start ffmpeg: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("ffmpeg output:\n%s", p.out.String())
		}
	})
	return p
}

// stop kills the process and waits for it.
func (p *ffmpegProc) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
}

// runFFmpeg runs ffmpeg to completion (killed after timeout) and returns its
// output.
func runFFmpeg(bin string, timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
	return cmd.CombinedOutput()
}
