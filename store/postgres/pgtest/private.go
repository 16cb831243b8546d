package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Instance is a PostgreSQL server of a test's own, for tests that stop or
// restart the database: doing that to the shared one would break the other
// packages' tests running beside them.
type Instance struct {
	// URL reaches its database postgres as user postgres, on loopback.
	URL  string
	port int
	bin  string // the directory of pg_ctl
	dir  string // its data directory
	cred *syscall.Credential
}

// Private starts a PostgreSQL server of the test's own, with initdb and
// pg_ctl from the machine's PostgreSQL (pg_config --bindir, else
// /usr/lib/postgresql/*/bin), on a free loopback port, and stops and
// deletes it when the test ends. Run as root, it runs the server as the
// user postgres, which PostgreSQL requires. Where there is no PostgreSQL
// to run, the test is skipped, except when CI=true: then it fails.
func Private(tb testing.TB) *Instance {
	tb.Helper()
	return PrivateListening(tb)
}

// PrivateListening is Private listening, besides loopback, on the address
// of each prefix, and trusting the connections that come from within the
// prefix: for a test whose clients are elsewhere than on loopback (in a
// network namespace of their own, say), which reach it with URLOn.
func PrivateListening(tb testing.TB, prefixes ...netip.Prefix) *Instance {
	tb.Helper()
	fail := func(format string, args ...any) *Instance {
		tb.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			tb.Fatalf("a PostgreSQL server of the test's own: %s", msg)
		}
		tb.Skipf("a PostgreSQL server of the test's own cannot be run: %s", msg)
		return nil
	}
	bin := binDir()
	if bin == "" {
		return fail("no initdb (pg_config --bindir, /usr/lib/postgresql/*/bin)")
	}
	dir, err := os.MkdirTemp("", "statecraft-pg-")
	if err != nil {
		return fail("%v", err)
	}
	inst := &Instance{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return fail("running as root, and no user postgres to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		inst.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return fail("%v", err)
		}
	}
	tb.Cleanup(func() {
		_ = inst.run("pg_ctl", "-D", inst.data(), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	if err := inst.run("initdb", "-D", inst.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"); err != nil {
		return fail("initdb: %v", err)
	}
	listen := []string{"127.0.0.1"}
	if len(prefixes) > 0 {
		// initdb's pg_hba.conf trusts loopback alone.
		f, err := os.OpenFile(filepath.Join(inst.data(), "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return fail("%v", err)
		}
		for _, p := range prefixes {
			listen = append(listen, p.Addr().String())
			fmt.Fprintf(f, "host all all %s trust\n", p.Masked())
		}
		if err := f.Close(); err != nil {
			return fail("%v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("%v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	inst.port = port
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=%s -c fsync=off -c max_connections=200", port, dir, strings.Join(listen, ","))
	if err := inst.run("pg_ctl", "-D", inst.data(), "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return fail("pg_ctl start: %v\n%s", err, tail(filepath.Join(dir, "log")))
	}
	inst.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, inst.URL)
	if err != nil {
		tb.Fatalf("the test's own PostgreSQL started but does not answer: %v", err)
	}
	conn.Close(ctx)
	return inst
}

// URLOn is URL reaching the server at addr, one of the addresses given
// to PrivateListening.
func (inst *Instance) URLOn(addr netip.Addr) string {
	return fmt.Sprintf("postgres://postgres@%s/postgres", netip.AddrPortFrom(addr, uint16(inst.port)))
}

// Restart stops the server (fast: its sessions are ended, as in a
// restart by an operator or a failover) and starts it again, on the same
// port, and returns once it accepts connections.
func (inst *Instance) Restart() error {
	if err := inst.run("pg_ctl", "-D", inst.data(), "-l", filepath.Join(inst.dir, "log"), "-m", "fast", "-w", "-t", "60", "restart"); err != nil {
		return fmt.Errorf("pg_ctl restart: %w\n%s", err, tail(filepath.Join(inst.dir, "log")))
	}
	return nil
}

func (inst *Instance) data() string { return filepath.Join(inst.dir, "data") }

func (inst *Instance) run(tool string, args ...string) error {
	cmd := exec.Command(filepath.Join(inst.bin, tool), args...)
	cmd.Dir = inst.dir
	if inst.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: inst.cred}
	}
	// The server pg_ctl starts writes to -l's file, but should it keep
	// pg_ctl's output open, this stops waiting for it.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func binDir() string {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); fileExists(filepath.Join(d, "initdb")) {
			return d
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[len(matches)-1])
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
