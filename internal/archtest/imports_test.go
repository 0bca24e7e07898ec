// Package archtest checks the shape of the tree: which packages may import
// which (STYLE.md, "Config stops at the daemon").
package archtest

import (
	"go/build"
	"path/filepath"
	"slices"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The leaves (authentication, authorization, the stream hub, the Savant
// writer) get their own options from internal/daemon: a package that held
// the *config.Conf would hold every secret in it, and would change with
// every configuration key.
func TestLeavesImportNoConfig(t *testing.T) {
	root, err := testharness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	const module = "github.com/streamgate/streamgate"
	forbidden := []string{module + "/config", module + "/internal/daemon"}
	for _, dir := range []string{"authn", "authn/hash", "authz", "protocols/stream", "protocols/savant", "protocols/savant/savanturl"} {
		t.Run(dir, func(t *testing.T) {
			pkg, err := build.ImportDir(filepath.Join(root, dir), 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range pkg.Imports { // production files only, not tests
				if slices.Contains(forbidden, imp) {
					t.Errorf("%s imports %s: give it its own options and map the configuration onto them in internal/daemon", dir, imp)
				}
			}
		})
	}
}
