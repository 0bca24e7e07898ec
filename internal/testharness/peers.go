package testharness

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Missing reports a peer the test cannot run without: the test fails under
// CI=true (CI must never pass by skipping) and is skipped otherwise. The
// message says what to install.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// RequirePython makes sure Python (/usr/bin/python3) can import every one
// of modules, which the Debian debPackages provide, and returns its path.
func RequirePython(t testing.TB, modules []string, debPackages ...string) string {
	t.Helper()
	requireFile(t, Python, "python3")
	if out, err := exec.Command(Python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput(); err != nil {
		pkg := "package"
		if len(debPackages) > 1 {
			pkg = "packages"
		}
		Missing(t, "python3 cannot import %s (%v: %s): install Debian %s %s (make deps)",
			strings.Join(modules, " and "), err, strings.TrimSpace(string(out)), pkg, strings.Join(debPackages, " "))
	}
	return Python
}

// GstElement is a GStreamer element a test uses and the Debian package
// that holds it.
type GstElement struct{ Name, Package string }

// RequireGStreamer makes sure gst-launch-1.0 and every element are
// installed (see Missing) and returns gst-launch-1.0's path.
func RequireGStreamer(t testing.TB, elements ...GstElement) string {
	t.Helper()
	bin := RequirePeer(t, "gst-launch-1.0", "gstreamer1.0-tools")
	inspect := RequirePeer(t, "gst-inspect-1.0", "gstreamer1.0-tools")
	for _, e := range elements {
		if exec.Command(inspect, "--exists", e.Name).Run() != nil {
			Missing(t, "the GStreamer element %s is missing: install Debian package %s (make deps)", e.Name, e.Package)
		}
	}
	return bin
}

// npmModule returns the node_modules directory holding pkg@version,
// installing it once into a shared temporary directory (env: extra
// environment for npm); concurrent test binaries take turns through a file
// lock, and an interrupted install is redone. Without node, npm or the
// registry, see Missing.
func npmModule(t testing.TB, pkg, version string, env ...string) string {
	t.Helper()
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			Missing(t, "%s is not installed: install Debian nodejs and npm (make deps)", bin)
		}
	}
	dir := filepath.Join(os.TempDir(), "streamgate-npm-"+pkg+"-"+version)
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
	modules := filepath.Join(dir, "node_modules")
	done := filepath.Join(dir, ".installed") // written after a complete install
	if _, err := os.Stat(done); err == nil {
		return modules
	}
	cmd := exec.Command("npm", "install", "--no-save", "--no-audit", "--no-fund", pkg+"@"+version)
	cmd.Dir = dir
	cmd.Env = childEnv(env)
	if out, err := cmd.CombinedOutput(); err != nil {
		Missing(t, "npm install %s@%s: %v\n%s\n(install Debian nodejs and npm, make deps; the npm registry must be reachable)",
			pkg, version, err, out)
	}
	var p struct{ Version string }
	b, err := os.ReadFile(filepath.Join(modules, pkg, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p.Version != version {
		t.Fatalf("testharness: npm installed %s %q, want %s (%v)", pkg, p.Version, version, err)
	}
	if err := os.WriteFile(done, []byte(version+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return modules
}

// HLSParserVersion is the npm hls-parser release HLSParserModule installs.
const HLSParserVersion = "0.16.1"

// HLSParserModule returns a node_modules directory holding npm hls-parser at
// HLSParserVersion (an independent, strict HLS playlist parser), installed
// once like PlaywrightModule's playwright-core.
func HLSParserModule(t testing.TB) string {
	t.Helper()
	return npmModule(t, "hls-parser", HLSParserVersion)
}
