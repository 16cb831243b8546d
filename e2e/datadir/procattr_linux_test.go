package datadir

import "syscall"

// On Linux a server dies with the test binary even when the binary is
// killed (a go test timeout) before its cleanups run.
var procAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
