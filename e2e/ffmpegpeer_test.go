package e2e_test

import (
	"time"
)

// runFFmpeg runs ffmpeg to completion (killed after timeout) and returns its
// output.
func runFFmpeg(bin string, timeout time.Duration, args ...string) ([]byte, error) {
	return runFor(timeout, bin, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
}
