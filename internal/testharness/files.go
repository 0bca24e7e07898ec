package testharness

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes content to the file name in dir (mode 0600) and returns
// the file's path; it fails the test when it cannot.
func WriteFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("testharness: %v", err)
	}
	return path
}

// ReplaceFile replaces the file at path with content the way editors and
// ConfigMaps do: a new file written beside it (path.tmp) and renamed over it,
// so that a reader never sees half a file.
func ReplaceFile(t testing.TB, path, content string) {
	t.Helper()
	tmp := WriteFile(t, filepath.Dir(path), filepath.Base(path)+".tmp", content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatalf("testharness: %v", err)
	}
}

// TempFile writes content to the file name in a new temporary directory of
// the test and returns the file's path.
func TempFile(t testing.TB, name, content string) string {
	t.Helper()
	return WriteFile(t, t.TempDir(), name, content)
}
