//go:build unix && !linux

package functions

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the process in its own process group, so that a
// timeout also stops whatever it started (a shell bootstrap's children).
// Outside Linux there is no parent-death signal: a runtime outlives a
// server killed with SIGKILL.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func startProcess(cmd *exec.Cmd) error { return cmd.Start() }
