package testharness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	sinkOnce sync.Once
	sinkPath string
	sinkErr  error
)

// RTSPSink builds ./internal/testharness/rtspsink (many cheap RTSP readers
// in one process, for the reader-cost benchmark) once per test process and
// returns the binary's path.
func RTSPSink(t testing.TB) string {
	t.Helper()
	sinkOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			sinkErr = err
			return
		}
		dir, err := os.MkdirTemp("", "streamgate-rtspsink-")
		if err != nil {
			sinkErr = err
			return
		}
		sinkPath = filepath.Join(dir, "rtspsink")
		cmd := exec.Command("go", "build", "-o", sinkPath, "./internal/testharness/rtspsink")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			sinkErr = fmt.Errorf("go build ./internal/testharness/rtspsink: %v\n%s", err, out)
		}
	})
	if sinkErr != nil {
		t.Fatalf("testharness: %v", sinkErr)
	}
	return sinkPath
}
