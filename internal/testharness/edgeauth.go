package testharness

import (
	"path/filepath"
	"testing"
)

// EdgeAuthModule returns the directory of the npm package akamai-edgeauth
// 0.2.0 (an independent implementation of the token format), installing it
// once into a shared temporary directory; concurrent test binaries take turns
// through a file lock. Without node, npm or the registry the test fails under
// CI=true and is skipped otherwise, saying what to install.
func EdgeAuthModule(t testing.TB) string {
	t.Helper()
	return filepath.Join(npmModule(t, "akamai-edgeauth", "0.2.0"), "akamai-edgeauth")
}
