package testharness

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill the daemon if the test process dies
// (a panic or a -timeout), so that no daemon outlives its test.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
