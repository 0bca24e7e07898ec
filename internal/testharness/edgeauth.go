package testharness

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// EdgeAuthModule returns the directory of the npm package akamai-edgeauth
// 0.2.0 (an independent implementation of the token format), installing it
// once into a shared temporary directory; concurrent test binaries take turns
// through a file lock. Without node, npm or the registry the test fails under
// CI=true and is skipped otherwise, saying what to install.
func EdgeAuthModule(t testing.TB) string {
	t.Helper()
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			edgeAuthMissing(t, "%s is not installed", bin)
		}
	}
	dir := filepath.Join(os.TempDir(), "streamgate-akamai-edgeauth")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(dir, "node_modules", "akamai-edgeauth")
	if _, err := os.Stat(filepath.Join(mod, "package.json")); err == nil {
		return mod
	}
	cmd := exec.Command("npm", "install", "--no-save", "--no-audit", "--no-fund", "akamai-edgeauth@0.2.0")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		edgeAuthMissing(t, "npm install akamai-edgeauth: %v\n%s", err, out)
	}
	return mod
}

func edgeAuthMissing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (install Debian nodejs and npm, make deps; the npm registry must be reachable)", args...)
	}
	t.Skipf(format, args...)
}
