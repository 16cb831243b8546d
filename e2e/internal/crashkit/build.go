package crashkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// raceEnabled is set by race.go: the server is then built with -race too,
// so that the crash tests also look for data races in the server.
var raceEnabled bool

// serverProcAttr is set by procattr_linux.go.
var serverProcAttr *syscall.SysProcAttr

var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

// Binary builds cmd/statecraft, once per test binary, and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "statecraft-crash-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		bin := filepath.Join(dir, "statecraft")
		args := []string{"build", "-o", bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		// By import path, so that it builds from any test's directory.
		args = append(args, "github.com/statecraft/statecraft/cmd/statecraft")
		goTool, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
		if err != nil {
			buildErr = err
			return
		}
		out, err := exec.Command(goTool, args...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		binPath = bin
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// RemoveBinary removes what Binary built; TestMain calls it after m.Run,
// since a test's cleanup would remove it while other tests still need it.
func RemoveBinary() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}
