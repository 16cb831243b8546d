package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNodeCallbackSuccess(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "cb", "handlers.callbackOk")
	res := invoke(t, h, "cb", `{"x":[1,2]}`)
	var out struct {
		OK   bool           `json:"ok"`
		Echo map[string]any `json:"echo"`
	}
	ok(t, res, &out)
	if !out.OK || fmt.Sprint(out.Echo["x"]) != "[1 2]" {
		t.Fatalf("payload %s", res.Payload)
	}
	if res.InitDuration <= 0 {
		t.Errorf("a cold start reports InitDuration, got %v", res.InitDuration)
	}
	if res := invoke(t, h, "cb", `{}`); res.InitDuration != 0 {
		t.Errorf("a warm invocation reports no InitDuration, got %v", res.InitDuration)
	}
}

func TestNodeErrors(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	for _, tc := range []struct {
		handler, errType, msg string
	}{
		{"callbackErr", "Error", "callback failure"},
		{"asyncReject", "RangeError", "async rejection"},
		{"customError", "ValidationError", "bad input"},
		{"unnamedCustomError", "Error", "no name set"},
		{"typeError", "TypeError", "Cannot read properties of undefined (reading 'field')"},
		{"throwString", "string", "plain string"},
		{"fail", "Error", "via fail"},
		{"circular", "Runtime.JSONStringifyError", "Unable to stringify response body"},
	} {
		t.Run(tc.handler, func(t *testing.T) {
			nodeFunc(t, h, tc.handler, "handlers."+tc.handler)
			res := invoke(t, h, tc.handler, `{}`)
			doc := failed(t, res, tc.errType)
			if res.ErrorMessage != tc.msg {
				t.Errorf("ErrorMessage %q, want %q", res.ErrorMessage, tc.msg)
			}
			// The Node.js runtime's error document carries the stack as "trace".
			if _, ok := doc["trace"].([]any); !ok {
				t.Errorf("error document %s has no trace", res.Payload)
			}
			if !strings.Contains(res.Logs, "ERROR\tInvoke Error") {
				t.Errorf("logs do not show the error:\n%s", res.Logs)
			}
			// A handler error does not discard the process.
			if h.Processes(testAccount, tc.handler) != 1 {
				t.Errorf("%d processes after a handler error, want 1", h.Processes(testAccount, tc.handler))
			}
		})
	}
}

func TestNodeAsyncAndPromise(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "async", "handlers.asyncOk")
	var out map[string]any
	ok(t, invoke(t, h, "async", `{"n":7}`), &out)
	if out["async"] != true || out["n"] != 7.0 {
		t.Fatalf("got %v", out)
	}
	nodeFunc(t, h, "promise", "handlers.promiseOk")
	ok(t, invoke(t, h, "promise", `{}`), &out)
	if out["promise"] != true {
		t.Fatalf("got %v", out)
	}
	nodeFunc(t, h, "undef", "handlers.undefinedResult")
	res := invoke(t, h, "undef", `{}`)
	ok(t, res, nil)
	if string(res.Payload) != "null" {
		t.Fatalf("undefined result: payload %s, want null", res.Payload)
	}
	nodeFunc(t, h, "succeed", "handlers.succeed")
	ok(t, invoke(t, h, "succeed", `{}`), &out)
	if out["via"] != "succeed" {
		t.Fatalf("got %v", out)
	}
	nodeFunc(t, h, "nested", "handlers.nested.deeper.handler")
	ok(t, invoke(t, h, "nested", `{}`), &out)
	if out["nested"] != true {
		t.Fatalf("got %v", out)
	}
	nodeFunc(t, h, "esm", "esm.handler")
	ok(t, invoke(t, h, "esm", `{"n":1}`), &out)
	if out["esm"] != true {
		t.Fatalf("got %v", out)
	}
}

func TestNodeCrash(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "crash", "handlers.crash")
	res := invokeMeta(t, h, "crash", `{}`, InvokeMeta{RequestID: "req-crash-1"})
	failed(t, res, "Runtime.ExitError")
	if want := "RequestId: req-crash-1 Error: Runtime exited with error: exit status 1"; res.ErrorMessage != want {
		t.Errorf("ErrorMessage %q, want %q", res.ErrorMessage, want)
	}
	if !strings.Contains(res.Logs, "about to exit") || !strings.Contains(res.Logs, "Runtime.ExitError") {
		t.Errorf("logs:\n%s", res.Logs)
	}
	eventually(t, "the crashed process is forgotten", func() bool { return h.Processes(testAccount, "crash") == 0 })

	// The next invocation starts a new process.
	nodeFunc(t, h, "crash", "handlers.counter")
	var out struct{ Count int }
	ok(t, invoke(t, h, "crash", `{}`), &out)
	if out.Count != 1 {
		t.Fatalf("count %d", out.Count)
	}

	nodeFunc(t, h, "exit0", "handlers.exitZero")
	res = invokeMeta(t, h, "exit0", `{}`, InvokeMeta{RequestID: "req-exit-0"})
	failed(t, res, "Runtime.ExitError")
	if want := "RequestId: req-exit-0 Error: Runtime exited without providing a reason"; res.ErrorMessage != want {
		t.Errorf("ErrorMessage %q, want %q", res.ErrorMessage, want)
	}
}

func TestNodeUncaughtException(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "uncaught", "handlers.uncaught")
	res := invoke(t, h, "uncaught", `{}`)
	failed(t, res, "Error")
	if res.ErrorMessage != "async boom" || !strings.Contains(res.Logs, "Uncaught Exception") {
		t.Fatalf("message %q logs:\n%s", res.ErrorMessage, res.Logs)
	}
	// The runtime exits after reporting it; the host forgets the process.
	eventually(t, "the process exits", func() bool { return h.Processes(testAccount, "uncaught") == 0 })

	nodeFunc(t, h, "rejection", "handlers.unhandledRejection")
	res = invoke(t, h, "rejection", `{}`)
	failed(t, res, "Runtime.UnhandledPromiseRejection")
	if res.ErrorMessage != "Error: nobody catches me" {
		t.Fatalf("message %q", res.ErrorMessage)
	}
}

func TestNodeTimeout(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "loop", "handlers.loop", func(f *Function) { f.Timeout = time.Second })
	res := invokeMeta(t, h, "loop", `{}`, InvokeMeta{RequestID: "req-loop"})
	failed(t, res, "Sandbox.Timedout")
	if want := "RequestId: req-loop Error: Task timed out after 1.00 seconds"; res.ErrorMessage != want {
		t.Errorf("ErrorMessage %q, want %q", res.ErrorMessage, want)
	}
	if res.Duration != time.Second {
		t.Errorf("Duration %v, want the timeout", res.Duration)
	}
	if !strings.Contains(res.Logs, "looping forever") || !strings.Contains(res.Logs, "Task timed out after 1.00 seconds") {
		t.Errorf("logs:\n%s", res.Logs)
	}
	// The process was killed and forgotten.
	if n := h.Processes(testAccount, "loop"); n != 0 {
		t.Errorf("%d processes after a timeout", n)
	}
}

func TestNodeResponseLimits(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "big", "handlers.big")
	res := invoke(t, h, "big", `{}`)
	failed(t, res, "Function.ResponseSizeTooLarge")
	if res.ErrorMessage != "Response payload size exceeded maximum allowed payload size (6291556 bytes)." {
		t.Errorf("ErrorMessage %q", res.ErrorMessage)
	}
	// The process survives and serves the next invocation.
	res = invoke(t, h, "big", `{}`)
	failed(t, res, "Function.ResponseSizeTooLarge")
	if res.InitDuration != 0 {
		t.Errorf("the process was not reused")
	}
}

func TestNodeLogs(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "logs", "handlers.logs")
	for i, who := range []string{"first", "second"} {
		res := invokeMeta(t, h, "logs", `{"who":"`+who+`"}`, InvokeMeta{RequestID: "req-" + who})
		var s string
		ok(t, res, &s)
		line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT[\d:.]+Z\treq-` + who + `\tINFO\thello from ` + who + `$`)
		if !line.MatchString(res.Logs) {
			t.Errorf("invocation %d: no Lambda-style console.log line in:\n%s", i, res.Logs)
		}
		for _, want := range []string{"\tERROR\tan error line", "raw stdout", "raw stderr"} {
			if !strings.Contains(res.Logs, want) {
				t.Errorf("invocation %d: logs lack %q:\n%s", i, want, res.Logs)
			}
		}
		if i == 1 && strings.Contains(res.Logs, "first") {
			t.Errorf("the second invocation's logs contain the first's:\n%s", res.Logs)
		}
	}
}

func TestNodeWaitsForEmptyEventLoop(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "wait", "handlers.waitsForEmptyLoop")
	res := invoke(t, h, "wait", `{}`)
	ok(t, res, nil)
	// The response was held until the timer ran, so its output is in this
	// invocation's logs.
	if !strings.Contains(res.Logs, "timer fired") {
		t.Fatalf("logs:\n%s", res.Logs)
	}
	nodeFunc(t, h, "nowait", "handlers.noWait")
	var out map[string]any
	ok(t, invoke(t, h, "nowait", `{}`), &out)
	if out["waited"] != false {
		t.Fatalf("got %v", out)
	}
}

func TestNodeContext(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "ctx", "handlers.context", func(f *Function) {
		f.Runtime = "nodejs18.x"
		f.Timeout = 30 * time.Second
		f.MemoryMB = 256
		f.Env = map[string]string{"GREETING": "hi"}
	})
	res := invokeMeta(t, h, "ctx", `{}`, InvokeMeta{
		RequestID:     "11111111-2222-3333-4444-555555555555",
		ClientContext: `{"custom":{"k":"v"}}`,
		Identity:      `{"cognitoIdentityId":"id-1"}`,
	})
	var c struct {
		AwsRequestID                   string         `json:"awsRequestId"`
		FunctionName                   string         `json:"functionName"`
		FunctionVersion                string         `json:"functionVersion"`
		InvokedFunctionArn             string         `json:"invokedFunctionArn"`
		MemoryLimitInMB                string         `json:"memoryLimitInMB"`
		LogGroupName                   string         `json:"logGroupName"`
		LogStreamName                  string         `json:"logStreamName"`
		Remaining                      int64          `json:"remaining"`
		CallbackWaitsForEmptyEventLoop bool           `json:"callbackWaitsForEmptyEventLoop"`
		ClientContext                  map[string]any `json:"clientContext"`
		Identity                       map[string]any `json:"identity"`
		Env                            map[string]string
		Cwd                            string `json:"cwd"`
	}
	ok(t, res, &c)
	codeDir, _ := filepath.Abs("testdata/node")
	checks := []struct{ name, got, want string }{
		{"awsRequestId", c.AwsRequestID, "11111111-2222-3333-4444-555555555555"},
		{"functionName", c.FunctionName, "ctx"},
		{"functionVersion", c.FunctionVersion, "$LATEST"},
		{"invokedFunctionArn", c.InvokedFunctionArn, "arn:aws:lambda:eu-west-1:111122223333:function:ctx"},
		{"memoryLimitInMB", c.MemoryLimitInMB, "256"},
		{"logGroupName", c.LogGroupName, "/aws/lambda/ctx"},
		{"cwd", c.Cwd, codeDir},
		{"_HANDLER", c.Env["_HANDLER"], "handlers.context"},
		{"LAMBDA_TASK_ROOT", c.Env["LAMBDA_TASK_ROOT"], codeDir},
		{"AWS_LAMBDA_FUNCTION_NAME", c.Env["AWS_LAMBDA_FUNCTION_NAME"], "ctx"},
		{"AWS_LAMBDA_FUNCTION_VERSION", c.Env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST"},
		{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", c.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256"},
		{"AWS_REGION", c.Env["AWS_REGION"], "eu-west-1"},
		{"AWS_DEFAULT_REGION", c.Env["AWS_DEFAULT_REGION"], "eu-west-1"},
		{"AWS_EXECUTION_ENV", c.Env["AWS_EXECUTION_ENV"], "AWS_Lambda_nodejs18.x"},
		{"TZ", c.Env["TZ"], ":UTC"},
		{"PATH", c.Env["PATH"], os.Getenv("PATH")},
		{"GREETING", c.Env["GREETING"], "hi"},
		{"clientContext.custom.k", fmt.Sprint(c.ClientContext["custom"]), "map[k:v]"},
		{"identity.cognitoIdentityId", fmt.Sprint(c.Identity["cognitoIdentityId"]), "id-1"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(c.Env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", c.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(c.LogStreamName) {
		t.Errorf("logStreamName = %q", c.LogStreamName)
	}
	if c.Env["LAMBDA_RUNTIME_DIR"] == "" || !strings.HasPrefix(c.Env["_X_AMZN_TRACE_ID"], "Root=1-") {
		t.Errorf("LAMBDA_RUNTIME_DIR %q _X_AMZN_TRACE_ID %q", c.Env["LAMBDA_RUNTIME_DIR"], c.Env["_X_AMZN_TRACE_ID"])
	}
	// The remaining time counts down from the 30 s timeout.
	if c.Remaining <= 0 || c.Remaining > 30000 {
		t.Errorf("getRemainingTimeInMillis() = %d", c.Remaining)
	}
	if !c.CallbackWaitsForEmptyEventLoop {
		t.Errorf("callbackWaitsForEmptyEventLoop defaults to true")
	}
}

func TestNodeWarmReuse(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "counter", "handlers.counter")
	var first, second struct{ Count, Pid int }
	ok(t, invoke(t, h, "counter", `{}`), &first)
	ok(t, invoke(t, h, "counter", `{}`), &second)
	if first.Count != 1 || second.Count != 2 || first.Pid != second.Pid {
		t.Fatalf("first %+v second %+v: want the same process, count 1 then 2", first, second)
	}
	if n := h.Processes(testAccount, "counter"); n != 1 {
		t.Fatalf("%d processes", n)
	}
}

func TestNodeConcurrencyLimit(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "conc", "handlers.pid", func(f *Function) { f.Concurrency = 2 })
	const n = 8
	var wg sync.WaitGroup
	pids := make([]int, n)
	errs := make([]error, n)
	stop := make(chan struct{})
	maxProcs := 0
	var mu sync.Mutex
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p := h.Processes(testAccount, "conc"); p > maxProcs {
				mu.Lock()
				maxProcs = p
				mu.Unlock()
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.Invoke(context.Background(), testAccount, "conc", []byte(`{"ms":100}`), InvokeMeta{})
			if err == nil && res.FunctionError != "" {
				err = fmt.Errorf("%s: %s", res.ErrorType, res.ErrorMessage)
			}
			if err == nil {
				var out struct{ Pid int }
				err = json.Unmarshal(res.Payload, &out)
				pids[i] = out.Pid
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	close(stop)
	distinct := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("invocation %d: %v", i, errs[i])
		}
		distinct[pids[i]] = true
	}
	mu.Lock()
	defer mu.Unlock()
	if len(distinct) > 2 || maxProcs > 2 {
		t.Fatalf("%d distinct processes served the invocations, at most %d ran at once; the limit is 2", len(distinct), maxProcs)
	}
}

func TestNodeIdleShutdown(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "idle", "handlers.counter", func(f *Function) { f.IdleTimeout = 200 * time.Millisecond })
	var out struct{ Count, Pid int }
	ok(t, invoke(t, h, "idle", `{}`), &out)
	eventually(t, "the idle process is stopped", func() bool { return h.Processes(testAccount, "idle") == 0 && !pidAlive(out.Pid) })
	// The next invocation is a cold start with fresh module state.
	res := invoke(t, h, "idle", `{}`)
	ok(t, res, &out)
	if out.Count != 1 || res.InitDuration == 0 {
		t.Fatalf("count %d init %v: want a new process", out.Count, res.InitDuration)
	}
}

func TestNodeInitErrors(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	for _, tc := range []struct {
		name, handler, errType, msg string
	}{
		{"throws", "broken.handler", "Error", "module init failed"},
		{"nomodule", "nope.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'nope'"},
		{"noexport", "handlers.nothere", "Runtime.HandlerNotFound", "handlers.nothere is undefined or not exported"},
		{"notfunc", "handlers.notAFunction", "Runtime.HandlerNotFound", "handlers.notAFunction is not a function"},
		{"malformed", "handlers", "Runtime.MalformedHandlerName", "Bad handler"},
		{"syntax", "syntax.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token ';'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodeFunc(t, h, tc.name, tc.handler)
			res := invoke(t, h, tc.name, `{}`)
			failed(t, res, tc.errType)
			if !strings.HasPrefix(res.ErrorMessage, tc.msg) {
				t.Errorf("ErrorMessage %q, want prefix %q", res.ErrorMessage, tc.msg)
			}
			if !strings.Contains(res.Logs, "Init Error") {
				t.Errorf("logs:\n%s", res.Logs)
			}
			if n := h.Processes(testAccount, tc.name); n != 0 {
				t.Errorf("%d processes after an init error", n)
			}
		})
	}
}

// The seed example's handlers (copied from examples/user-onboarding) fail
// at random 30% of the time; either outcome is accepted.
func TestNodeSeedHandlers(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	for _, name := range []string{"sendMessage", "fetchActivityCount"} {
		err := h.Register(Function{Name: name, Runtime: "nodejs", Handler: name + ".handler", CodeDir: "testdata/seed"})
		if err != nil {
			t.Fatal(err)
		}
		res := invoke(t, h, name, `{"user":{"id":"u1"}}`)
		if !strings.Contains(res.Logs, `{"user":{"id":"u1"}}`) {
			t.Errorf("%s: the event is not logged:\n%s", name, res.Logs)
		}
		if res.FunctionError != "" {
			failed(t, res, "Error")
			if res.ErrorMessage != "error happened" {
				t.Errorf("%s: ErrorMessage %q", name, res.ErrorMessage)
			}
			continue
		}
		var out map[string]any
		ok(t, res, &out)
		if name == "fetchActivityCount" {
			if a, _ := out["activities"].(float64); a != 0 && a != 1 {
				t.Errorf("%s: payload %s", name, res.Payload)
			}
		} else if len(out) != 0 {
			t.Errorf("%s: payload %s", name, res.Payload)
		}
	}
}

func TestRegisterReplacesFunction(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "repl", "handlers.counter")
	var a, b struct{ Count, Pid int }
	ok(t, invoke(t, h, "repl", `{}`), &a)
	nodeFunc(t, h, "repl", "handlers.counter")
	ok(t, invoke(t, h, "repl", `{}`), &b)
	if b.Count != 1 || a.Pid == b.Pid {
		t.Fatalf("before %+v after %+v: the new registration must use a new process", a, b)
	}
	eventually(t, "the old process is stopped", func() bool { return !pidAlive(a.Pid) })
	if err := h.Unregister(testAccount, "repl"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the unregistered function's process is stopped", func() bool { return !pidAlive(b.Pid) })
	if _, err := h.Invoke(context.Background(), testAccount, "repl", nil, InvokeMeta{}); !errors.Is(err, ErrFunctionNotFound) {
		t.Fatalf("after Unregister: %v", err)
	}
}

func TestInvokeCancelled(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "slow", "handlers.loop")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := h.Invoke(ctx, testAccount, "slow", nil, InvokeMeta{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	eventually(t, "the process is stopped", func() bool { return h.Processes(testAccount, "slow") == 0 })
}

// Under concurrent load every invocation gets exactly its own output.
func TestNodeLogsPerInvocation(t *testing.T) {
	t.Parallel()
	needNode(t)
	h := newTestHost(t)
	nodeFunc(t, h, "marker", "handlers.marker", func(f *Function) { f.Concurrency = 2 })
	const n = 12
	var wg sync.WaitGroup
	results := make([]*Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = h.Invoke(context.Background(), testAccount, "marker", []byte(fmt.Sprintf(`{"i":%d,"ms":%d}`, i, i%3*20)), InvokeMeta{})
		}()
	}
	wg.Wait()
	markerRE := regexp.MustCompile(`marker (\d+) (start|end)`)
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		ok(t, results[i], nil)
		got := markerRE.FindAllStringSubmatch(results[i].Logs, -1)
		if len(got) != 2 || got[0][1] != fmt.Sprint(i) || got[1][1] != fmt.Sprint(i) {
			t.Errorf("invocation %d logs:\n%s", i, results[i].Logs)
		}
	}
}
