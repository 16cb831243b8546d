package functions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Two accounts' functions of the same name are two functions: each account
// invokes its own, registering one does not replace the other, and a third
// account finds neither.
func TestFunctionsBelongToAnAccount(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	const other = "444455556666"
	nodeFunc(t, h, "f", "handlers.context", func(f *Function) { f.Env = map[string]string{"GREETING": "mine"} })
	nodeFunc(t, h, "f", "handlers.context", func(f *Function) {
		f.Account, f.Region, f.Env = other, "ap-south-1", map[string]string{"GREETING": "theirs"}
	})

	var mine, theirs struct {
		InvokedFunctionArn string
		Env                map[string]string
	}
	ok(t, invoke(t, h, "f", `{}`), &mine)
	ctx := context.Background()
	res, err := h.Invoke(ctx, other, "f", nil, InvokeMeta{})
	if err != nil {
		t.Fatal(err)
	}
	ok(t, res, &theirs)
	if mine.Env["GREETING"] != "mine" || mine.InvokedFunctionArn != "arn:aws:lambda:eu-west-1:"+testAccount+":function:f" {
		t.Errorf("the host's account's function answered %+v", mine)
	}
	if theirs.Env["GREETING"] != "theirs" || theirs.Env["AWS_REGION"] != "ap-south-1" ||
		theirs.InvokedFunctionArn != "arn:aws:lambda:ap-south-1:"+other+":function:f" {
		t.Errorf("the other account's function answered %+v", theirs)
	}
	// "" is the host's account.
	res, err = h.Invoke(ctx, "", "f", nil, InvokeMeta{})
	if err != nil {
		t.Fatal(err)
	}
	ok(t, res, &mine)
	if mine.Env["GREETING"] != "mine" {
		t.Errorf(`account "" answered %+v`, mine)
	}
	if _, err := h.Invoke(ctx, "777788889999", "f", nil, InvokeMeta{}); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("a third account invoked f: %v", err)
	}
	if err := h.Unregister("777788889999", "f"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("a third account unregistered f: %v", err)
	}
	if err := h.Unregister(other, "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(ctx, other, "f", nil, InvokeMeta{}); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("after Unregister: %v", err)
	}
	if h.Processes(testAccount, "f") != 1 {
		t.Errorf("unregistering the other account's f touched this one's: %d processes", h.Processes(testAccount, "f"))
	}
	ok(t, invoke(t, h, "f", `{}`), &mine)
}

// Release comes once the registration is replaced (or unregistered, or the
// host closed) and its last process has ended, never before.
func TestReleaseAfterTheLastProcess(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	var first, second, third atomic.Int32
	nodeFunc(t, h, "r", "handlers.pid", func(f *Function) { f.Release = func() { first.Add(1) } })
	var out struct{ Pid int }
	ok(t, invoke(t, h, "r", `{}`), &out)
	if first.Load() != 0 {
		t.Fatal("released while registered")
	}
	nodeFunc(t, h, "r", "handlers.pid", func(f *Function) { f.Release = func() { second.Add(1) } })
	eventually(t, "the replaced registration is released", func() bool { return first.Load() == 1 })
	if pidAlive(out.Pid) {
		t.Errorf("released while process %d still runs", out.Pid)
	}
	// Without processes, unregistering releases at once.
	if err := h.Unregister(testAccount, "r"); err != nil {
		t.Fatal(err)
	}
	if second.Load() != 1 {
		t.Errorf("the unregistered registration was released %d times", second.Load())
	}
	nodeFunc(t, h, "r", "handlers.pid", func(f *Function) { f.Release = func() { third.Add(1) } })
	ok(t, invoke(t, h, "r", `{}`), &out)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if third.Load() != 1 || first.Load() != 1 || second.Load() != 1 {
		t.Errorf("releases %d %d %d, want 1 each", first.Load(), second.Load(), third.Load())
	}
	// A failed registration is never released.
	var never atomic.Int32
	_ = h.Register(Function{Name: "x", Runtime: "perl", CodeDir: t.TempDir(), Release: func() { never.Add(1) }})
	if never.Load() != 0 {
		t.Error("a refused registration was released")
	}
}

// Runtimes are an allow-list, and a handler names code inside CodeDir.
func TestRegisterRefusesCodeOutsideCodeDir(t *testing.T) {
	t.Parallel()
	h := newTestHost(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "handler"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/bin/sh", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    Function
		want string // in the error; "" for success
	}{
		{Function{Name: "ok", Runtime: "go1.x", Handler: "main", CodeDir: dir}, ""},
		{Function{Name: "sub", Runtime: "go1.x", Handler: "bin/handler", CodeDir: dir}, ""},
		{Function{Name: "abs", Runtime: "go1.x", Handler: "/usr/bin/perl", CodeDir: dir}, `got "/usr/bin/perl"`},
		{Function{Name: "up", Runtime: "go1.x", Handler: "../main", CodeDir: filepath.Join(dir, "bin")}, `got "../main"`},
		{Function{Name: "updown", Runtime: "go1.x", Handler: "bin/../../x", CodeDir: dir}, `got "bin/../../x"`},
		{Function{Name: "backslash", Runtime: "go1.x", Handler: `bin\handler`, CodeDir: dir}, `got "bin\\handler"`},
		{Function{Name: "drive", Runtime: "go1.x", Handler: `C:main`, CodeDir: dir}, `got "C:main"`},
		{Function{Name: "link", Runtime: "go1.x", Handler: "link", CodeDir: dir}, "not a regular file"},
		{Function{Name: "dir", Runtime: "go1.x", Handler: "bin", CodeDir: dir}, "not a regular file"},
		{Function{Name: "nodeabs", Runtime: "nodejs20.x", Handler: "/tmp/evil.handler", CodeDir: dir}, `got "/tmp/evil.handler"`},
		{Function{Name: "nodeup", Runtime: "nodejs20.x", Handler: "../evil.handler", CodeDir: dir}, `got "../evil.handler"`},
		{Function{Name: "nodesub", Runtime: "nodejs22.x", Handler: "src/app.handler", CodeDir: dir}, ""},
		{Function{Name: "py", Runtime: "python3.12", Handler: "app.handler", CodeDir: dir}, `unsupported runtime "python3.12"`},
		{Function{Name: "bin", Runtime: "/usr/bin/perl", CodeDir: dir}, `unsupported runtime "/usr/bin/perl"`},
		{Function{Name: "nodex", Runtime: "nodejs.x", Handler: "a.b", CodeDir: dir}, `unsupported runtime "nodejs.x"`},
		{Function{Name: "acct", Account: "12", Runtime: "provided", CodeDir: dir}, `invalid account id "12"`},
	} {
		t.Run(tc.f.Name, func(t *testing.T) {
			err := h.Register(tc.f)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
