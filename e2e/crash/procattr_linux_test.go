package crash

import "syscall"

// On Linux the server dies with the test binary even when the binary is
// killed (a go test timeout) before its cleanups run.
func init() { serverProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
