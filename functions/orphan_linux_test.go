//go:build linux

package functions

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// orphanHelperEnv makes the test binary the helper of
// TestRuntimeDiesWithServer: a host that starts a runtime, then waits to
// be killed.
const orphanHelperEnv = "STATECRAFT_ORPHAN_HELPER_PIDFILE"

// TestRuntimeDiesWithServer: a process hosting functions (here this test
// binary, run again as a helper) starts a runtime and is killed with
// SIGKILL, which runs no cleanup; the runtime must not outlive it
// (Pdeathsig). The runtime's bootstrap writes its pid and execs sleep, so
// that pid is the server's own child for as long as it lives.
func TestRuntimeDiesWithServer(t *testing.T) {
	if os.Getenv(orphanHelperEnv) != "" {
		orphanHelper(t)
		return
	}
	needBash(t)
	pidFile := filepath.Join(t.TempDir(), "runtime.pid")
	helper := exec.Command(os.Args[0], "-test.run", "^TestRuntimeDiesWithServer$")
	helper.Env = append(os.Environ(), orphanHelperEnv+"="+pidFile)
	var out bytes.Buffer
	helper.Stdout, helper.Stderr = &out, &out
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { helper.Wait(); close(exited) }()
	t.Cleanup(func() {
		helper.Process.Kill()
		<-exited
	})
	var pid int
	eventually(t, "the runtime wrote its pid", func() bool {
		select {
		case <-exited:
			t.Fatalf("the helper exited:\n%s", out.String())
		default:
		}
		b, err := os.ReadFile(pidFile)
		if err != nil || !bytes.HasSuffix(b, []byte("\n")) {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	// The bootstrap has exec'd sleep once /proc says so.
	eventually(t, "the runtime is sleep", func() bool {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return strings.TrimSpace(string(comm)) == "sleep"
	})
	if ppid := parentOf(pid); ppid != helper.Process.Pid {
		t.Fatalf("the runtime's parent is %d, not the helper %d", ppid, helper.Process.Pid)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // if the test fails
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	// Gone, or a zombie waiting for whoever inherited it to reap it.
	eventually(t, "the runtime died with the helper", func() bool {
		return !processLive(pid)
	})
}

// TestRuntimeOutlivesCallerThread: Pdeathsig fires when the thread that
// forked the child exits. A goroutine locked to its thread that returns
// ends that thread; a runtime started from such a goroutine must live on,
// since the server does.
func TestRuntimeOutlivesCallerThread(t *testing.T) {
	cmd := exec.Command("sleep", "3600")
	setProcessGroup(cmd)
	var tid int
	for {
		// The Go runtime never ends the main thread (it parks it instead):
		// the caller must run on another.
		tids, start, done := make(chan int), make(chan bool), make(chan error)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
			tids <- syscall.Gettid()
			if <-start {
				done <- startProcess(cmd)
			}
		}()
		tid = <-tids
		if tid == os.Getpid() {
			start <- false
			continue
		}
		start <- true
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		break
	}
	t.Cleanup(func() { killProcessGroup(cmd); cmd.Wait() })
	eventually(t, "the caller's thread ended", func() bool {
		_, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid))
		return os.IsNotExist(err)
	})
	// A SIGKILL sent as the thread ended is pending by now, or has ended
	// the runtime: the thread's exit sends it before /proc drops the
	// thread.
	if !processLive(cmd.Process.Pid) {
		t.Fatalf("the runtime died with the thread that asked for it")
	}
}

// orphanHelper registers a function whose runtime records its pid, starts
// it with an invocation and waits to be killed.
func orphanHelper(t *testing.T) {
	dir := t.TempDir()
	boot := "#!/bin/bash\necho $$ > \"$PIDFILE.tmp\"\nmv \"$PIDFILE.tmp\" \"$PIDFILE\"\nexec sleep 3600\n"
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(boot), 0o755); err != nil {
		t.Fatal(err)
	}
	h := NewHost(HostOptions{Region: "eu-west-1", Account: testAccount})
	f := Function{Name: "orphan", Runtime: "provided.al2", Handler: "h", CodeDir: dir, Timeout: 10 * time.Minute,
		Env: map[string]string{"PIDFILE": os.Getenv(orphanHelperEnv)}}
	if err := h.Register(f); err != nil {
		t.Fatal(err)
	}
	go h.Invoke(context.Background(), testAccount, "orphan", []byte(`{}`), InvokeMeta{})
	select {} // until SIGKILL
}

func parentOf(pid int) int {
	fields := procStat(pid)
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// processLive tells whether pid runs: not a zombie, and no SIGKILL
// pending (one sent a moment ago has not ended it yet).
func processLive(pid int) bool {
	fields := procStat(pid)
	if len(fields) == 0 || fields[0] == "Z" || fields[0] == "X" {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		if k != "SigPnd" && k != "ShdPnd" {
			continue
		}
		if mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil && mask&(1<<(syscall.SIGKILL-1)) != 0 {
			return false
		}
	}
	return true
}

// procStat is /proc/PID/stat after the command name: state, ppid, ...
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}
