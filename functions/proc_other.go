//go:build !unix

package functions

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) { cmd.Process.Kill() }

func startProcess(cmd *exec.Cmd) error { return cmd.Start() }
