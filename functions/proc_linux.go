//go:build linux

package functions

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// setProcessGroup puts the process in its own process group, so that a
// timeout also stops whatever it started (a shell bootstrap's children),
// and asks the kernel to SIGKILL it when its parent dies: a server killed
// with SIGKILL, which runs no cleanup, leaves no runtime behind. (What the
// runtime itself started is not covered: it is not the server's child.)
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// The kernel sends Pdeathsig when the *thread* that forked the child
// exits, not the process (prctl(2), PR_SET_PDEATHSIG). The Go runtime
// ends an OS thread when a goroutine locked to it (runtime.LockOSThread)
// returns without unlocking, and any goroutine of the process, in any
// package, may do that on whichever thread it happens to run: a runtime
// forked there would be killed with a healthy server. So every runtime is
// forked by one goroutine that locks its thread for good and never
// returns: no other goroutine ever runs on that thread, and the thread
// lives exactly as long as the process. (Go's fork also checks, after
// setting the signal, that the parent did not die in between, and kills
// the child itself if it did.)
var (
	starterOnce sync.Once
	starts      chan startRequest
)

type startRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// startProcess starts cmd from the starter's thread.
func startProcess(cmd *exec.Cmd) error {
	starterOnce.Do(func() {
		starts = make(chan startRequest)
		go starter()
	})
	r := startRequest{cmd: cmd, done: make(chan error, 1)}
	starts <- r
	return <-r.done
}

func starter() {
	runtime.LockOSThread() // never unlocked: see above
	for r := range starts {
		r.done <- r.cmd.Start()
	}
}
