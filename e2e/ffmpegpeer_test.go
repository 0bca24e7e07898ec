package e2e_test

import (
	"context"
	"os/exec"
	"time"
)

// runFFmpeg runs ffmpeg to completion (killed after timeout) and returns its
// output.
func runFFmpeg(bin string, timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
	return cmd.CombinedOutput()
}
