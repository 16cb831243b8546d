package crashkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// Server is one `statecraft server` process, started again on the same
// address and data directory after each kill.
type Server struct {
	Bin, Data, LogPath string
	// Args follow the flags every server gets: listen, data, region,
	// account and log level.
	Args []string
	// Label names the test in the start lines written to the log.
	Label string
	// Transient are bits of a failed start's output that mean the start
	// may succeed if tried again shortly, as a port still in use does.
	Transient []string
	// Prefix, when set, is a command the server runs under, given the
	// server's command line: ip netns exec NAME, for a server in a network
	// namespace. It must exec the server, whose process Kill kills.
	Prefix []string

	mu      sync.Mutex
	addr    string
	fixed   bool // addr was given: a port in use is not replaced by another
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	starts  int
}

// NewServer is a server, not yet started, on a free loopback port.
func NewServer(bin, data, logPath string) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return &Server{Bin: bin, Data: data, LogPath: logPath, Label: "crash test", addr: addr}, nil
}

// NewServerAt is a server, not yet started, that listens on addr, which
// is kept when its port cannot be bound: an address elsewhere than on
// loopback, which only the server's side can tell is free.
func NewServerAt(bin, data, logPath, addr string) *Server {
	return &Server{Bin: bin, Data: data, LogPath: logPath, Label: "crash test", addr: addr, fixed: true}
}

var (
	errBind      = errors.New("address in use")
	errTransient = errors.New("transient start failure")
)

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// Addr is where the server listens, or will.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Starts counts the processes started.
func (s *Server) Starts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

// Start starts the server and waits until it answers c. A port that cannot
// be bound is retried, and after a while replaced by another.
func (s *Server) Start(c *sfn.Client) error {
	for attempt := 1; ; attempt++ {
		err := s.startOnce(c)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errBind) && !errors.Is(err, errTransient) || attempt >= 30 {
			return err
		}
		time.Sleep(RetryPause)
		if errors.Is(err, errBind) && attempt%10 == 0 && !s.fixed {
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			s.mu.Lock()
			s.addr = addr
			s.mu.Unlock()
		}
	}
}

func (s *Server) startOnce(c *sfn.Client) error {
	addr := s.Addr()
	logf, err := os.OpenFile(s.LogPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	st, _ := logf.Stat()
	offset := st.Size()
	s.mu.Lock()
	s.starts++
	n := s.starts
	s.mu.Unlock()
	fmt.Fprintf(logf, "=== %s: start %d on %s at %s\n", s.Label, n, addr, time.Now().Format(time.RFC3339Nano))
	args := append([]string{"server", "--listen", addr, "--data", s.Data,
		"--region", Region, "--account", Account, "--log-level", "info"}, s.Args...)
	argv := append(append(append([]string(nil), s.Prefix...), s.Bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = serverProcAttr
	err = cmd.Start()
	logf.Close() // the child has its own descriptor
	if err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd = nil
			waitErr := s.waitErr
			s.mu.Unlock()
			out := readFrom(s.LogPath, offset)
			if strings.Contains(out, "address already in use") {
				return errBind
			}
			for _, m := range s.Transient {
				if strings.Contains(out, m) {
					return fmt.Errorf("%w: %s", errTransient, m)
				}
			}
			return fmt.Errorf("the server exited while starting (%v):\n%s", waitErr, out)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("the server did not answer within 3 minutes: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL and reaps the process. It reports whether the
// process was still running (a server that died on its own is a failure).
func (s *Server) Kill() (wasRunning bool) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return true
	}
	select {
	case <-exited:
		return false
	default:
	}
	_ = cmd.Process.Kill()
	<-exited
	return true
}

// Exited tells whether the process last started has ended without Kill,
// and how.
func (s *Server) Exited() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false, nil
	}
	select {
	case <-s.exited:
		return true, s.waitErr
	default:
		return false, nil
	}
}

// Reap forgets a process that Exited found ended, so that Start may start
// the next one.
func (s *Server) Reap() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmd = nil
}

func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	return string(b[offset:])
}

// Tail is the last lines of a log.
func Tail(path string, lines int) string {
	b, _ := os.ReadFile(path)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
