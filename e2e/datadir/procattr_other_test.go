//go:build !linux

package datadir

import "syscall"

var procAttr *syscall.SysProcAttr
