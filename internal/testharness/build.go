package testharness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// built builds the binary once per test process.
var built = perProcess(build)

// Build builds ./cmd/streamgate once per test process and returns the
// binary's path. Set STREAMGATE_E2E_RACE=1 to build it with -race (slower:
// the first race build takes about a minute on two cores).
func Build(t testing.TB) string {
	t.Helper()
	return built(t)
}

func build() (string, error) {
	// Not removed: it lives as long as the test process, and the OS cleans
	// its temporary directory.
	dir, err := os.MkdirTemp("", "streamgate-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "streamgate")
	args := []string{"build", "-ldflags", "-X github.com/streamgate/streamgate.Version=e2e-test", "-o", bin}
	if os.Getenv("STREAMGATE_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	if err := runInModuleRoot("go build ./cmd/streamgate", "go", append(args, "./cmd/streamgate")...); err != nil {
		return "", err
	}
	return bin, nil
}

// runInModuleRoot runs name with args in the module's root directory; what
// names the command in the error, which holds its output.
func runInModuleRoot(what, name string, args ...string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", what, err, out)
	}
	return nil
}

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// RequirePeer makes sure an external program the test needs is installed:
// if it is not, the test fails when CI=true and is skipped otherwise.
func RequirePeer(t testing.TB, binary, debPackage string) string {
	t.Helper()
	p, err := exec.LookPath(binary)
	if err == nil {
		return p
	}
	Missing(t, "%s is missing: install Debian package %s (make deps)", binary, debPackage)
	return ""
}

// RunCLI runs the binary with args and stdin and returns its output and exit code.
func RunCLI(t testing.TB, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Build(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = childEnv(nil)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run streamgate %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}
