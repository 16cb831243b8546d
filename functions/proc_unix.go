//go:build unix

package functions

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the process in its own process group, so that a
// timeout also stops whatever it started (a shell bootstrap's children).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killProcessGroup(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}
