// Package crash is the crash-safety test of `statecraft server`.
//
// It builds the binary, starts the server on a data directory, runs a few
// hundred executions that mix Wait, Choice, Parallel, Map, retries, Catch
// and activity tasks (served by workers in this process through the AWS
// SDK), kills the server with SIGKILL at random moments several times,
// restarts it on the same port and data directory, and then checks that
// every execution ended as an uninterrupted run of the same definition and
// input ends, and that no history repeats a transition (DESIGN.md: "a
// crash or kill at any moment loses no accepted execution and repeats no
// transition").
//
// The kills come 100–900 ms after the server last came up; every other
// one then also waits for an activity execution to be started and comes
// 0–4 ms after, while its first task is being handed to a worker, a window
// too narrow to be hit by chance often. The schedule is random; its seed
// is logged, and CRASH_SEED=N runs the same schedule again (the same
// delays; what the server was doing at those moments is only roughly the
// same).
//
// The expected outcome of each execution comes from an uninterrupted run
// of the same definition and input in the in-process interpreter: the
// code of `statecraft run --fast-forward --history`, and for the machines
// with activity tasks the runner with the workers' own decision functions
// as resolver (checked against a formula written out by hand).
package crash

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

// raceEnabled is set by race_test.go: the server is then built with -race.
var raceEnabled bool

// serverProcAttr is set by procattr_linux_test.go.
var serverProcAttr *syscall.SysProcAttr

const (
	region  = "us-east-1"
	account = "123456789012"
	role    = "arn:aws:iam::123456789012:role/crash-test"

	numExecutions = 300
	minKills      = 5  // the issue asks for at least five
	plannedKills  = 16 // and we go on killing while executions are still being started
	maxKills      = 24 // a slow machine (or -race) starts executions slowly: do not kill for ever

	startEvery   = 35 * time.Millisecond // StartExecution pace: 300 in about 11 s
	starters     = 6
	workersEach  = 8                      // workers per activity
	pollTimeout  = 2 * time.Second        // the workers' GetActivityTask timeout while the server is being killed
	longPoll     = 65 * time.Second       // and after: longer than the server's 60 s long poll, as AWS asks of workers
	callTimeout  = 10 * time.Second       // any other call
	settleWithin = 120 * time.Second      // after the last restart, everything must end within this
	retryPause   = 100 * time.Millisecond // a call to a server that is down is retried after this
)

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "statecraft-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildServer builds cmd/statecraft once per test binary.
func buildServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(binDir, "statecraft")
		args := []string{"build", "-o", bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "../../cmd/statecraft")
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
		t.Fatal(buildErr)
	}
	return binPath
}

// ---------------------------------------------------------------------------
// The workload

type machine struct {
	file string // under testdata
	name string
	// activity: the machine has activity tasks, so the reference run is in
	// process, with the workers' own decision function as the resolver;
	// otherwise it is `statecraft run --fast-forward --history`.
	activity bool
	// timeouts: an attempt may time out (its heartbeat clock runs through
	// restarts and time in the queue, and a slow enough machine could run
	// it out); the Retry makes the outcome the same, and the history
	// comparison leaves out attempts that timed out.
	timeouts bool

	def string
	arn string
}

func newMachines() []*machine {
	return []*machine{
		{file: "wait_choice.asl.json", name: "crash-wait-choice"},
		{file: "parallel.asl.json", name: "crash-parallel"},
		{file: "map.asl.json", name: "crash-map"},
		{file: "retry_catch.asl.json", name: "crash-retry-catch", activity: true},
		{file: "heartbeat.asl.json", name: "crash-heartbeat", activity: true, timeouts: true},
	}
}

// machineOf says which machine execution i runs: the activity machine
// with retries twice as often as the others, for more task hand-offs
// for the kills to cut into.
func machineOf(machines []*machine, i int) *machine {
	return machines[[]int{0, 1, 2, 3, 4, 3}[i%6]]
}

const (
	workActivity = "crash-work"
	beatActivity = "crash-beat"
)

func activityArn(name string) string {
	return "arn:aws:states:" + region + ":" + account + ":activity:" + name
}

type execution struct {
	i     int
	name  string
	m     *machine
	input string
	arn   string

	want        result
	wantHistory []string // normalised events, sorted
}

type result struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

// workDecision is what the crash-work worker answers. It depends only on
// the task input (the execution's i and $$.State.RetryCount), so a task
// delivered again after a restart gets the same answer.
func workDecision(input string) (output, errName, cause string) {
	var in struct {
		I   int `json:"i"`
		Try int `json:"try"`
	}
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return "", "Custom.BadInput", err.Error()
	}
	switch k := in.I / 6; {
	case k%5 == 0:
		return "", "Custom.Fatal", fmt.Sprintf("fatal for %d", in.I)
	case k%5 == 1:
		return "", "Custom.Reject", fmt.Sprintf("rejected %d", in.I)
	case in.Try < 2:
		return "", "Custom.Flaky", fmt.Sprintf("flaky %d (try %d)", in.I, in.Try)
	}
	return fmt.Sprintf(`{"i":%d,"sq":%d,"try":%d}`, in.I, in.I*in.I, in.Try), "", ""
}

// beatDecision is what the crash-beat worker answers once it has worked
// (and heartbeaten) for a while.
func beatDecision(input string) string {
	var in struct {
		I     int    `json:"i"`
		Label string `json:"label"`
	}
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return `{"bad":true}`
	}
	return fmt.Sprintf(`{"i":%d,"half":%d,"label":%q,"worker":"beat"}`, in.I, in.I/2, in.Label)
}

// formula is the expected result of the activity machines, written out by
// hand; it checks the in-process reference runs.
func formula(e *execution) result {
	w := 1 + e.i%2
	switch e.m.name {
	case "crash-retry-catch":
		switch k := e.i / 6; {
		case k%5 == 0:
			return result{Status: "SUCCEEDED", Output: json.RawMessage(fmt.Sprintf(
				`{"i":%d,"recovered":true,"error":"Custom.Fatal","cause":"fatal for %d"}`, e.i, e.i))}
		case k%5 == 1:
			return result{Status: "FAILED", Error: "Custom.Reject", Cause: fmt.Sprintf("rejected %d", e.i)}
		}
		return result{Status: "SUCCEEDED", Output: json.RawMessage(fmt.Sprintf(
			`{"i":%d,"tag":"job-%d","work":{"i":%d,"sq":%d,"try":2}}`, e.i, e.i, e.i, e.i*e.i))}
	case "crash-heartbeat":
		return result{Status: "SUCCEEDED", Output: json.RawMessage(fmt.Sprintf(
			`{"i":%d,"w":%d,"beat":{"i":%d,"half":%d,"label":"beat-%d"}}`, e.i, w, e.i, e.i/2, e.i))}
	}
	panic("no formula for " + e.m.name)
}

// ---------------------------------------------------------------------------
// Reference runs

// reference fills e.want and e.wantHistory from an uninterrupted run.
func reference(e *execution) error {
	var res result
	var history []map[string]any
	if !e.m.activity {
		// `statecraft run --fast-forward --history`, called in process: the
		// same code as the subcommand, without 200 process starts (which
		// cost a minute when the binary is built with -race).
		var stdout, stderr bytes.Buffer
		err := cli.Run(context.Background(), cli.RunOptions{
			Definition: filepath.Join("testdata", e.m.file), Input: e.input,
			FastForward: true, History: true,
			Name: e.name, StateMachine: e.m.name, Region: region, Account: account,
		}, &stdout, &stderr)
		if err != nil {
			return fmt.Errorf("statecraft run %s: %v\n%s", e.m.file, err, stderr.String())
		}
		var r struct {
			result
			History []map[string]any `json:"history"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			return fmt.Errorf("statecraft run %s: %v\n%s", e.m.file, err, stdout.String())
		}
		res, history = r.result, r.History
	} else {
		var err error
		res, history, err = referenceInProcess(e)
		if err != nil {
			return err
		}
		if f := formula(e); !sameResult(res, f) {
			return fmt.Errorf("%s: the reference run gave %s, the formula %s", e.name, show(res), show(f))
		}
	}
	e.want = res
	for _, ev := range history {
		e.wantHistory = append(e.wantHistory, normEvent(ev))
	}
	sort.Strings(e.wantHistory)
	return nil
}

// referenceInProcess runs an activity machine in the interpreter, its
// tasks answered by the workers' decision functions.
func referenceInProcess(e *execution) (result, []map[string]any, error) {
	sm, err := asl.Parse([]byte(e.m.def))
	if err != nil {
		return result{}, nil, err
	}
	in, err := jsonv.ParseString(e.input)
	if err != nil {
		return result{}, nil, err
	}
	m := interp.New(sm, interp.Options{History: true, MaxEvents: interp.DefaultMaxEvents})
	resolve := func(_ context.Context, task taskport.Request) (any, error) {
		input := jsonv.String(task.Input)
		switch task.Resource {
		case activityArn(workActivity):
			out, errName, cause := workDecision(input)
			if errName != "" {
				return nil, &taskport.Failure{Name: errName, Cause: cause}
			}
			return jsonv.ParseString(out)
		case activityArn(beatActivity):
			return jsonv.ParseString(beatDecision(input))
		}
		return nil, fmt.Errorf("no worker for %s", task.Resource)
	}
	smArn := "arn:aws:states:" + region + ":" + account + ":stateMachine:" + e.m.name
	r, err := runner.Run(context.Background(), m, runner.Options{
		Info: interp.Info{
			ExecutionArn: strings.Replace(smArn, ":stateMachine:", ":execution:", 1) + ":" + e.name,
			Name:         e.name, StateMachineArn: smArn, StateMachineName: e.m.name,
			RoleArn: role, Region: region, Input: in,
		},
		Tasks:       taskport.Func(resolve),
		FastForward: true,
	})
	if err != nil {
		return result{}, nil, err
	}
	res := result{Status: string(r.Status), Error: r.Error, Cause: r.Cause}
	if r.Status == interp.Succeeded {
		res.Output = jsonv.Marshal(r.Output)
	}
	var history []map[string]any
	for i := range r.History {
		var ev map[string]any
		if err := json.Unmarshal(r.History[i].AppendJSON(nil), &ev); err != nil {
			return result{}, nil, err
		}
		history = append(history, ev)
	}
	return res, history, nil
}

func sameResult(a, b result) bool {
	if a.Status != b.Status || a.Error != b.Error || a.Cause != b.Cause {
		return false
	}
	if len(a.Output) == 0 || len(b.Output) == 0 {
		return len(a.Output) == len(b.Output)
	}
	return jsonEqual(a.Output, b.Output)
}

func jsonEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func show(r result) string {
	if r.Status == "SUCCEEDED" {
		return fmt.Sprintf("%s %s", r.Status, r.Output)
	}
	return fmt.Sprintf("%s error=%q cause=%q", r.Status, r.Error, r.Cause)
}

// ---------------------------------------------------------------------------
// History normalisation: an event as its type and the details that do not
// depend on time, the worker or the order in which branches interleave.

var keptDetails = []string{"name", "input", "output", "error", "cause", "index", "length",
	"resource", "resourceType", "parameters", "timeoutInSeconds", "heartbeatInSeconds"}

// normEvent normalises an event in the API's JSON shape.
func normEvent(ev map[string]any) string {
	typ, _ := ev["type"].(string)
	var det map[string]any
	for k, v := range ev {
		if m, ok := v.(map[string]any); ok && strings.HasSuffix(k, "EventDetails") {
			det = m
		}
	}
	out := map[string]any{}
	for _, k := range keptDetails {
		v, ok := det[k]
		if !ok || v == nil {
			continue
		}
		if s, isStr := v.(string); isStr && (k == "input" || k == "output" || k == "parameters") {
			var parsed any
			if json.Unmarshal([]byte(s), &parsed) == nil {
				v = parsed
			}
		}
		out[k] = v
	}
	if len(out) == 0 {
		return typ
	}
	b, _ := json.Marshal(out)
	return typ + " " + string(b)
}

// sdkEvent turns an SDK event into the API's JSON shape: the SDK's field
// names are the API's member names with a capital first letter.
func sdkEvent(ev types.HistoryEvent) map[string]any {
	b, _ := json.Marshal(ev)
	var m any
	_ = json.Unmarshal(b, &m)
	return lowerKeys(m).(map[string]any)
}

func lowerKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if k != "" {
				k = strings.ToLower(k[:1]) + k[1:]
			}
			out[k] = lowerKeys(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = lowerKeys(x[i])
		}
	}
	return v
}

// ---------------------------------------------------------------------------
// The server process

type server struct {
	bin, data, logPath string

	mu     sync.Mutex
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

var errBind = errors.New("address in use")

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

func (s *server) currentAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// start starts the server and waits until it answers. A port that cannot
// be bound is retried, and after a while replaced by another.
func (s *server) start(c *sfn.Client) error {
	for attempt := 1; ; attempt++ {
		err := s.startOnce(c)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errBind) || attempt >= 30 {
			return err
		}
		time.Sleep(retryPause)
		if attempt%10 == 0 {
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

func (s *server) startOnce(c *sfn.Client) error {
	addr := s.currentAddr()
	logf, err := os.OpenFile(s.logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	st, _ := logf.Stat()
	offset := st.Size()
	s.starts++
	fmt.Fprintf(logf, "=== crash test: start %d on %s at %s\n", s.starts, addr, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "server", "--listen", addr, "--data", s.data,
		"--region", region, "--account", account, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = serverProcAttr
	err = cmd.Start()
	logf.Close() // the child has its own descriptor
	if err != nil {
		return err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			out := readFrom(s.logPath, offset)
			if strings.Contains(out, "address already in use") {
				return errBind
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
			s.kill()
			return fmt.Errorf("the server did not answer within 60 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and reaps the process. It reports whether the
// process was still running (a server that died on its own is a failure).
func (s *server) kill() (wasRunning bool) {
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

func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	return string(b[offset:])
}

func tail(path string, lines int) string {
	b, _ := os.ReadFile(path)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// ---------------------------------------------------------------------------
// The client

// disableHostPrefix stops the SDK from prefixing the host of some
// operations (see api/sdk_test.go).
func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// newClient is an SDK client that always dials the server's current
// address and never retries by itself: the test decides what to retry.
func newClient(s *server) *sfn.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, s.currentAddr())
		},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
	}
	return sfn.New(sfn.Options{
		Region:       region,
		BaseEndpoint: aws.String("http://" + s.currentAddr()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "test"}, nil
		}),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: tr},
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// run is the shared state of one test run.
type run struct {
	mu       sync.Mutex
	problems []string
	tokens   map[string]int // deliveries per task token

	retriedCalls  atomic.Int64 // calls repeated because the server was unreachable
	closedAnswers atomic.Int64 // TaskTimedOut answers to a worker
	abandoned     atomic.Int64 // heartbeat tasks given up on (TaskTimedOut to a heartbeat)
	startRepeats  atomic.Int64 // StartExecution answered ExecutionAlreadyExists on a retry

	longPolls   atomic.Bool   // workers poll with longPoll rather than pollTimeout
	taskStarted chan struct{} // offered an activity execution's start, for armed kills
}

func (r *run) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) < 200 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

// call runs fn until the server answers: errors without an answer
// (connection refused or reset, a cut-off reply, a client timeout) are
// retried after retryPause. It returns the answer, or ctx's error.
func call[T any](ctx context.Context, r *run, op string, fn func(context.Context) (T, error)) (T, error) {
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		v, err := fn(cctx)
		cancel()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
		var re *smithyhttp.ResponseError
		switch {
		case errors.As(err, &re) && re.HTTPStatusCode() >= 500:
			r.fail("%s: the server answered %d: %v", op, re.HTTPStatusCode(), err)
		case errorCode(err) != "":
			return v, err // an answer
		}
		r.retriedCalls.Add(1)
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(retryPause):
		}
	}
}

// ---------------------------------------------------------------------------
// Activity workers

func (r *run) worker(ctx context.Context, c *sfn.Client, activity string, id int, handle func(ctx context.Context, token, input string)) {
	arn := activityArn(activity)
	name := fmt.Sprintf("%s-worker-%d", activity, id)
	for ctx.Err() == nil {
		timeout := pollTimeout
		if r.longPolls.Load() {
			timeout = longPoll
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		out, err := c.GetActivityTask(pctx, &sfn.GetActivityTaskInput{ActivityArn: &arn, WorkerName: &name})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if code := errorCode(err); code != "" {
				r.fail("GetActivityTask %s: %v", activity, err)
			}
			if !errors.Is(err, context.DeadlineExceeded) { // not our own poll timeout: the server is down
				sleep(ctx, retryPause)
			}
			continue
		}
		token := aws.ToString(out.TaskToken)
		if token == "" {
			continue
		}
		r.mu.Lock()
		r.tokens[token]++
		r.mu.Unlock()
		handle(ctx, token, aws.ToString(out.Input))
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// answered handles the server's answer to SendTask*: TaskTimedOut means
// the task was closed already (it was delivered again after a restart and
// the other delivery answered first, or this very answer was committed
// before a kill cut off the reply), which at-least-once delivery allows.
func (r *run) answered(ctx context.Context, op string, err error) (closed bool) {
	switch code := errorCode(err); {
	case err == nil:
	case code == "TaskTimedOut":
		r.closedAnswers.Add(1)
		return true
	case ctx.Err() != nil:
		return true
	default:
		// InvalidToken included: tokens are derived from the execution's
		// stored seed and stay valid across restarts.
		r.fail("%s: %v", op, err)
		return true
	}
	return false
}

func (r *run) doWork(ctx context.Context, c *sfn.Client, token, input string) {
	out, errName, cause := workDecision(input)
	var err error
	if errName != "" {
		_, err = call(ctx, r, "SendTaskFailure", func(cctx context.Context) (*sfn.SendTaskFailureOutput, error) {
			return c.SendTaskFailure(cctx, &sfn.SendTaskFailureInput{TaskToken: &token, Error: &errName, Cause: &cause})
		})
		r.answered(ctx, "SendTaskFailure", err)
		return
	}
	_, err = call(ctx, r, "SendTaskSuccess", func(cctx context.Context) (*sfn.SendTaskSuccessOutput, error) {
		return c.SendTaskSuccess(cctx, &sfn.SendTaskSuccessInput{TaskToken: &token, Output: &out})
	})
	r.answered(ctx, "SendTaskSuccess", err)
}

func (r *run) doBeat(ctx context.Context, c *sfn.Client, token, input string) {
	for range 3 {
		sleep(ctx, 150*time.Millisecond)
		_, err := call(ctx, r, "SendTaskHeartbeat", func(cctx context.Context) (*sfn.SendTaskHeartbeatOutput, error) {
			return c.SendTaskHeartbeat(cctx, &sfn.SendTaskHeartbeatInput{TaskToken: &token})
		})
		if r.answered(ctx, "SendTaskHeartbeat", err) {
			r.abandoned.Add(1)
			return
		}
	}
	out := beatDecision(input)
	_, err := call(ctx, r, "SendTaskSuccess", func(cctx context.Context) (*sfn.SendTaskSuccessOutput, error) {
		return c.SendTaskSuccess(cctx, &sfn.SendTaskSuccessInput{TaskToken: &token, Output: &out})
	})
	r.answered(ctx, "SendTaskSuccess", err)
}

// ---------------------------------------------------------------------------
// The test

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode: it runs a server, kills it a dozen times or more and takes 15-60 s")
	}
	began := time.Now()
	bin := buildServer(t)
	t.Logf("server built in %v", time.Since(began).Round(time.Millisecond))

	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CRASH_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("kill schedule seed %d (CRASH_SEED=%d go test ./e2e/crash/ replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	// The workload and its reference results.
	machines := newMachines()
	for _, m := range machines {
		b, err := os.ReadFile(filepath.Join("testdata", m.file))
		if err != nil {
			t.Fatal(err)
		}
		m.def = string(b)
		m.arn = "arn:aws:states:" + region + ":" + account + ":stateMachine:" + m.name
	}
	execs := make([]*execution, numExecutions)
	for i := range execs {
		m := machineOf(machines, i)
		name := fmt.Sprintf("exec-%d", i)
		execs[i] = &execution{
			i: i, name: name, m: m,
			input: fmt.Sprintf(`{"i":%d,"w":%d}`, i, 1+i%2),
			arn:   strings.Replace(m.arn, ":stateMachine:", ":execution:", 1) + ":" + name,
		}
	}
	refStart := time.Now()
	if err := forEach(execs, 4, reference); err != nil {
		t.Fatal(err)
	}
	t.Logf("reference runs done in %v", time.Since(refStart).Round(time.Millisecond))

	// The server.
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv := &server{bin: bin, data: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "server.log"), addr: addr}
	t.Cleanup(func() {
		srv.kill()
		if t.Failed() {
			t.Logf("server log (last 80 lines of %s):\n%s", srv.logPath, tail(srv.logPath, 80))
		}
	})
	c := newClient(srv)
	if err := srv.start(c); err != nil {
		t.Fatal(err)
	}

	// Nothing below waits for ever on a server that is gone for good.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	var bg sync.WaitGroup
	t.Cleanup(func() { cancel(); bg.Wait() })
	r := &run{tokens: map[string]int{}, taskStarted: make(chan struct{})}

	for _, a := range []string{workActivity, beatActivity} {
		out, err := call(ctx, r, "CreateActivity", func(cctx context.Context) (*sfn.CreateActivityOutput, error) {
			return c.CreateActivity(cctx, &sfn.CreateActivityInput{Name: aws.String(a)})
		})
		if err != nil {
			t.Fatalf("CreateActivity %s: %v", a, err)
		}
		if got := aws.ToString(out.ActivityArn); got != activityArn(a) {
			t.Fatalf("CreateActivity %s = %s, want %s", a, got, activityArn(a))
		}
	}
	for _, m := range machines {
		out, err := call(ctx, r, "CreateStateMachine", func(cctx context.Context) (*sfn.CreateStateMachineOutput, error) {
			return c.CreateStateMachine(cctx, &sfn.CreateStateMachineInput{Name: aws.String(m.name), Definition: aws.String(m.def), RoleArn: aws.String(role)})
		})
		if err != nil {
			t.Fatalf("CreateStateMachine %s: %v", m.name, err)
		}
		if got := aws.ToString(out.StateMachineArn); got != m.arn {
			t.Fatalf("CreateStateMachine %s = %s, want %s", m.name, got, m.arn)
		}
	}

	// Workers.
	for id := range workersEach {
		bg.Add(2)
		go func() {
			defer bg.Done()
			r.worker(ctx, c, workActivity, id, func(ctx context.Context, tok, in string) { r.doWork(ctx, c, tok, in) })
		}()
		go func() {
			defer bg.Done()
			r.worker(ctx, c, beatActivity, id, func(ctx context.Context, tok, in string) { r.doBeat(ctx, c, tok, in) })
		}()
	}

	// Starters: every execution is started, retrying with the same name
	// and input while the server is down.
	queue := make(chan *execution)
	var starting sync.WaitGroup
	startsDone := make(chan struct{})
	for range starters {
		starting.Add(1)
		go func() {
			defer starting.Done()
			for e := range queue {
				out, err := call(ctx, r, "StartExecution", func(cctx context.Context) (*sfn.StartExecutionOutput, error) {
					return c.StartExecution(cctx, &sfn.StartExecutionInput{StateMachineArn: &e.m.arn, Name: &e.name, Input: &e.input})
				})
				switch {
				case err == nil:
					if got := aws.ToString(out.ExecutionArn); got != e.arn {
						r.fail("%s: StartExecution = %s, want %s", e.name, got, e.arn)
					}
					if e.m.activity {
						select {
						case r.taskStarted <- struct{}{}:
						default:
						}
					}
				case errorCode(err) == "ExecutionAlreadyExists":
					// The first attempt was committed, its reply lost in a
					// kill, and the execution has ended since: while it
					// runs, the same name and input must start it again.
					r.startRepeats.Add(1)
					d, err := call(ctx, r, "DescribeExecution", func(cctx context.Context) (*sfn.DescribeExecutionOutput, error) {
						return c.DescribeExecution(cctx, &sfn.DescribeExecutionInput{ExecutionArn: &e.arn})
					})
					if err == nil && d.Status == types.ExecutionStatusRunning {
						r.fail("%s: a repeated StartExecution answered ExecutionAlreadyExists, yet the execution is running", e.name)
					}
				default:
					r.fail("%s: StartExecution: %v", e.name, err)
				}
			}
		}()
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		defer close(startsDone)
		tick := time.NewTicker(startEvery)
		defer tick.Stop()
		defer starting.Wait()
		defer close(queue)
		for _, e := range execs {
			select {
			case queue <- e:
			case <-ctx.Done():
				return
			}
			<-tick.C
		}
	}()

	// Kills. Each one comes 100–900 ms after the server last answered; the
	// server then stays down 0–300 ms, so clients meet refused connections.
	// They go on while executions are being started, at least
	// plannedKills-1 of them, and then comes the last one.
	kills := 0
	var schedule []string
	killAndRestart := func() {
		up := time.Duration(100+rng.IntN(801)) * time.Millisecond
		down := time.Duration(rng.IntN(301)) * time.Millisecond
		armed := kills%2 == 1
		lag := time.Duration(rng.IntN(4001)) * time.Microsecond
		when := up.String()
		time.Sleep(up)
		if armed {
			// Every other kill waits for an activity execution to be
			// started and comes lag after: its first task is being
			// handed to a worker then, a window too narrow for chance.
			select {
			case <-r.taskStarted:
				time.Sleep(lag)
				when += "+start+" + lag.String()
			case <-time.After(time.Second):
				when += "+none"
			}
		}
		if !srv.kill() {
			t.Errorf("the server exited on its own before kill %d", kills+1)
		}
		kills++
		schedule = append(schedule, when+"/"+down.String())
		time.Sleep(down)
		if err := srv.start(c); err != nil {
			t.Fatalf("restart %d: %v", kills, err)
		}
	}
kill:
	for kills < maxKills-1 {
		select {
		case <-startsDone:
			if kills >= plannedKills-1 {
				break kill
			}
		default:
		}
		killAndRestart()
	}
	<-startsDone
	if kills < minKills-1 {
		t.Fatalf("only %d kills", kills)
	}
	// Before the last kill, the workers switch to long polls. A worker
	// that gives up a poll just as the server hands it a task may never
	// see the task (as with AWS, which asks workers for 65 s timeouts);
	// while kills go on, the next restart queues such a task again, but
	// after the last one nothing would.
	r.longPolls.Store(true)
	killAndRestart()
	lastRestart := time.Now()
	t.Logf("%d kills (up/down: %s); executions started by %v", kills, strings.Join(schedule, " "), time.Since(began).Round(time.Millisecond))

	// Every execution must end.
	deadline := lastRestart.Add(settleWithin)
	sctx, scancel := context.WithDeadline(ctx, deadline)
	defer scancel()
	for {
		running := 0
		for _, m := range machines {
			n, err := countExecutions(sctx, r, c, m.arn, types.ExecutionStatusRunning)
			if err != nil {
				running = -1 // the server did not answer in time
				break
			}
			running += n
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
			reportStuck(rctx, t, r, c, execs)
			rcancel()
			t.Fatalf("executions still RUNNING %v after the last restart (%d, -1: the server did not answer)", settleWithin, running)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("all executions ended %v after the last restart (%v in all)", time.Since(lastRestart).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	cancel()
	bg.Wait()

	vctx, vcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer vcancel()

	// No execution lost, none made up.
	for _, m := range machines {
		names, err := listNames(vctx, r, c, m.arn)
		if err != nil {
			t.Fatalf("ListExecutions: %v", err)
		}
		want := map[string]bool{}
		for _, e := range execs {
			if e.m == m {
				want[e.name] = true
			}
		}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("%s: ListExecutions has %d executions, want %d", m.name, len(names), len(want))
			for n := range names {
				if !want[n] {
					t.Errorf("%s: unexpected execution %s", m.name, n)
				}
			}
			for n := range want {
				if !names[n] {
					t.Errorf("%s: execution %s is missing", m.name, n)
				}
			}
		}
	}

	// Every execution ended as the reference run did, and its history
	// repeats nothing.
	var timedOut atomic.Int64
	var bad atomic.Int64
	_ = forEach(execs, 8, func(e *execution) error {
		problems, attempts := check(vctx, r, c, e)
		timedOut.Add(int64(attempts))
		if len(problems) > 0 {
			if bad.Add(1) <= 15 {
				t.Errorf("%s (%s, input %s):\n\t%s", e.name, e.m.name, e.input, strings.Join(problems, "\n\t"))
			}
		}
		return nil
	})
	if n := bad.Load(); n > 0 {
		t.Errorf("%d of %d executions differ from an uninterrupted run", n, len(execs))
	}

	r.mu.Lock()
	for _, p := range r.problems {
		t.Error(p)
	}
	redelivered := 0
	for _, n := range r.tokens {
		if n > 1 {
			redelivered++
		}
	}
	delivered := len(r.tokens)
	r.mu.Unlock()

	checkServerLog(t, srv.logPath)

	t.Logf("%d executions, %d kills; %d tasks delivered, %d of them more than once; %d TaskTimedOut answers to workers, %d heartbeat tasks abandoned, %d attempts timed out; %d StartExecution retries found the execution already ended; %d calls retried while the server was down; %v in all",
		len(execs), kills, delivered, redelivered, r.closedAnswers.Load(), r.abandoned.Load(), timedOut.Load(), r.startRepeats.Load(), r.retriedCalls.Load(), time.Since(began).Round(time.Millisecond))
}

// forEach runs fn over execs on n goroutines and returns the first error.
func forEach(execs []*execution, n int, fn func(*execution) error) error {
	ch := make(chan *execution)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range ch {
				if err := fn(e); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for _, e := range execs {
		ch <- e
	}
	close(ch)
	wg.Wait()
	return first
}

func countExecutions(ctx context.Context, r *run, c *sfn.Client, smArn string, status types.ExecutionStatus) (int, error) {
	n := 0
	var next *string
	for {
		out, err := call(ctx, r, "ListExecutions", func(cctx context.Context) (*sfn.ListExecutionsOutput, error) {
			return c.ListExecutions(cctx, &sfn.ListExecutionsInput{StateMachineArn: &smArn, StatusFilter: status, MaxResults: 1000, NextToken: next})
		})
		if err != nil {
			return 0, err
		}
		n += len(out.Executions)
		if out.NextToken == nil {
			return n, nil
		}
		next = out.NextToken
	}
}

func listNames(ctx context.Context, r *run, c *sfn.Client, smArn string) (map[string]bool, error) {
	names := map[string]bool{}
	var next *string
	for {
		out, err := call(ctx, r, "ListExecutions", func(cctx context.Context) (*sfn.ListExecutionsOutput, error) {
			return c.ListExecutions(cctx, &sfn.ListExecutionsInput{StateMachineArn: &smArn, MaxResults: 1000, NextToken: next})
		})
		if err != nil {
			return nil, err
		}
		for _, x := range out.Executions {
			names[aws.ToString(x.Name)] = true
		}
		if out.NextToken == nil {
			return names, nil
		}
		next = out.NextToken
	}
}

func history(ctx context.Context, r *run, c *sfn.Client, arn string) ([]types.HistoryEvent, error) {
	var events []types.HistoryEvent
	var next *string
	for {
		out, err := call(ctx, r, "GetExecutionHistory", func(cctx context.Context) (*sfn.GetExecutionHistoryOutput, error) {
			return c.GetExecutionHistory(cctx, &sfn.GetExecutionHistoryInput{ExecutionArn: &arn, MaxResults: 50, NextToken: next})
		})
		if err != nil {
			return nil, err
		}
		events = append(events, out.Events...)
		if out.NextToken == nil {
			return events, nil
		}
		next = out.NextToken
	}
}

// reportStuck logs the executions still running and how their histories end.
func reportStuck(ctx context.Context, t *testing.T, r *run, c *sfn.Client, execs []*execution) {
	shown := 0
	for _, e := range execs {
		d, err := call(ctx, r, "DescribeExecution", func(cctx context.Context) (*sfn.DescribeExecutionOutput, error) {
			return c.DescribeExecution(cctx, &sfn.DescribeExecutionInput{ExecutionArn: &e.arn})
		})
		if err != nil || d.Status != types.ExecutionStatusRunning {
			continue
		}
		if shown++; shown > 10 {
			continue
		}
		events, _ := history(ctx, r, c, e.arn)
		var last []string
		for _, ev := range events[max(0, len(events)-6):] {
			last = append(last, fmt.Sprintf("%d %s", ev.Id, ev.Type))
		}
		t.Errorf("%s (%s) still RUNNING; its history ends: %s", e.name, e.m.name, strings.Join(last, ", "))
	}
}

var terminalTypes = map[types.HistoryEventType]string{
	types.HistoryEventTypeExecutionSucceeded: "SUCCEEDED",
	types.HistoryEventTypeExecutionFailed:    "FAILED",
	types.HistoryEventTypeExecutionTimedOut:  "TIMED_OUT",
	types.HistoryEventTypeExecutionAborted:   "ABORTED",
}

// check compares an execution with its reference run. It returns what is
// wrong and how many task attempts timed out.
func check(ctx context.Context, r *run, c *sfn.Client, e *execution) (problems []string, timedOut int) {
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	d, err := call(ctx, r, "DescribeExecution", func(cctx context.Context) (*sfn.DescribeExecutionOutput, error) {
		return c.DescribeExecution(cctx, &sfn.DescribeExecutionInput{ExecutionArn: &e.arn})
	})
	if err != nil {
		return []string{fmt.Sprintf("DescribeExecution: %v", err)}, 0
	}
	if aws.ToString(d.Input) != e.input {
		add("input %s, want %s", aws.ToString(d.Input), e.input)
	}
	got := result{Status: string(d.Status), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
	if d.Output != nil {
		got.Output = json.RawMessage(*d.Output)
	}
	if !sameResult(got, e.want) {
		add("ended %s, an uninterrupted run %s", show(got), show(e.want))
	}

	events, err := history(ctx, r, c, e.arn)
	if err != nil {
		return append(problems, fmt.Sprintf("GetExecutionHistory: %v", err)), 0
	}
	// Ids 1..n, each once, each after the event it follows.
	for k, ev := range events {
		if ev.Id != int64(k+1) {
			add("event %d has id %d", k+1, ev.Id)
			break
		}
		if ev.PreviousEventId < 0 || ev.PreviousEventId >= ev.Id {
			add("event %d (%s) has previousEventId %d", ev.Id, ev.Type, ev.PreviousEventId)
		}
	}
	// Exactly one terminal event, the last, matching the status.
	terminals := 0
	for _, ev := range events {
		if _, ok := terminalTypes[ev.Type]; ok {
			terminals++
		}
	}
	if terminals != 1 {
		add("%d terminal Execution* events, want 1", terminals)
	}
	if len(events) == 0 {
		return append(problems, "empty history"), 0
	}
	if last := events[len(events)-1]; terminalTypes[last.Type] != string(d.Status) {
		add("the last event is %s, the status %s", last.Type, d.Status)
	}
	if e.m.activity {
		problems = append(problems, checkTaskVisits(events)...)
	}

	// The same events as the reference run, as a multiset: a transition
	// repeated after a restart shows as an extra event, a lost one as a
	// missing event.
	var gotNorm []string
	for _, ev := range events {
		if e.m.timeouts && ev.Type == types.HistoryEventTypeActivityTimedOut {
			// Leave out the attempt that timed out: the events since its
			// ActivityScheduled (the machine is linear).
			timedOut++
			for len(gotNorm) > 0 {
				k := len(gotNorm) - 1
				gone := gotNorm[k]
				gotNorm = gotNorm[:k]
				if strings.HasPrefix(gone, string(types.HistoryEventTypeActivityScheduled)+" ") {
					break
				}
			}
			continue
		}
		gotNorm = append(gotNorm, normEvent(sdkEvent(ev)))
	}
	problems = append(problems, diffMultiset(gotNorm, e.wantHistory)...)
	return problems, timedOut
}

// checkTaskVisits checks each visit of a Task state in a linear machine:
// every ActivityScheduled is started at most once and closed exactly once,
// and a visit succeeds at most once.
func checkTaskVisits(events []types.HistoryEvent) []string {
	var problems []string
	inVisit, scheduled, started := false, false, false
	succeeded := 0
	for _, ev := range events {
		switch ev.Type {
		case types.HistoryEventTypeTaskStateEntered:
			if inVisit {
				problems = append(problems, fmt.Sprintf("event %d: TaskStateEntered inside a visit of the same Task state", ev.Id))
			}
			inVisit, succeeded = true, 0
		case types.HistoryEventTypeActivityScheduled:
			if scheduled {
				problems = append(problems, fmt.Sprintf("event %d: ActivityScheduled while an attempt is open", ev.Id))
			}
			scheduled, started = true, false
		case types.HistoryEventTypeActivityStarted:
			if !scheduled || started {
				problems = append(problems, fmt.Sprintf("event %d: repeated or unscheduled ActivityStarted", ev.Id))
			}
			started = true
		case types.HistoryEventTypeActivitySucceeded, types.HistoryEventTypeActivityFailed, types.HistoryEventTypeActivityTimedOut:
			if !scheduled {
				problems = append(problems, fmt.Sprintf("event %d: %s without an open attempt", ev.Id, ev.Type))
			}
			if ev.Type == types.HistoryEventTypeActivitySucceeded {
				if succeeded++; succeeded > 1 {
					problems = append(problems, fmt.Sprintf("event %d: a second ActivitySucceeded in one visit", ev.Id))
				}
			}
			scheduled = false
		case types.HistoryEventTypeTaskStateExited:
			if !inVisit || scheduled {
				problems = append(problems, fmt.Sprintf("event %d: TaskStateExited outside a visit or with an attempt open", ev.Id))
			}
			inVisit = false
		}
	}
	return problems
}

// diffMultiset says which normalised events got has more or fewer of
// than want (which is sorted).
func diffMultiset(got, want []string) []string {
	counts := map[string]int{}
	for _, g := range got {
		counts[g]++
	}
	for _, w := range want {
		counts[w]--
	}
	var keys []string
	for k, n := range counts {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var problems []string
	for _, k := range keys {
		if n := counts[k]; n > 0 {
			problems = append(problems, fmt.Sprintf("repeated: %d more than an uninterrupted run: %.300s", n, k))
		} else {
			problems = append(problems, fmt.Sprintf("missing: %d fewer than an uninterrupted run: %.300s", -n, k))
		}
	}
	return problems
}

// checkServerLog fails on races, panics and error lines in the server's
// output.
func checkServerLog(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	errorLines := 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "WARNING: DATA RACE"), strings.HasPrefix(line, "panic:"), strings.HasPrefix(line, "fatal error:"):
			t.Errorf("server log: %s (see %s)", line, path)
		case strings.Contains(line, "level=ERROR"):
			// The engine logs at ERROR what it did not expect: a timer
			// it could not fire, an execution it could not rebuild.
			if errorLines++; errorLines <= 20 {
				t.Errorf("server log: %s", line)
			}
		}
	}
	if errorLines > 0 {
		t.Errorf("%d error lines in the server log", errorLines)
	}
}
