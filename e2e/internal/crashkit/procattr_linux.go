package crashkit

import "syscall"

// On Linux the servers die with the test binary even when the binary is
// killed (a go test timeout) before its cleanups run.
func init() { serverProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
