package testharness

import (
	"os"
	"path/filepath"
	"testing"
)

// builtSink builds the rtspsink binary once per test process, in a
// directory that lives as long as the process.
var builtSink = perProcess(func() (string, error) {
	dir, err := os.MkdirTemp("", "streamgate-rtspsink-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rtspsink")
	if err := runInModuleRoot("go build ./internal/testharness/rtspsink", "go", "build", "-o", bin, "./internal/testharness/rtspsink"); err != nil {
		return "", err
	}
	return bin, nil
})

// RTSPSink builds ./internal/testharness/rtspsink (many cheap RTSP readers
// in one process, for the reader-cost benchmark) once per test process and
// returns the binary's path.
func RTSPSink(t testing.TB) string {
	t.Helper()
	return builtSink(t)
}
