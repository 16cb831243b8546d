package crashkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

// Machine is a state machine of the workload.
type Machine struct {
	Path string // the definition's file, relative to the test's directory
	Name string
	// Activity: the machine has activity tasks, so the reference run is in
	// process, with the workers' own decision functions as the resolver;
	// otherwise it is `statecraft run --fast-forward --history`. Its
	// activity tasks must run one at a time (no two in parallel branches
	// or Map iterations at once): the checks number their attempts in
	// history order.
	Activity bool
	// Timeouts: an attempt may time out (a heartbeat clock runs through
	// restarts and time in the queue; a task claimed by a node that died
	// stays claimed until its timeout). A Retry must make the outcome the
	// same; the history is compared with the reference run replayed with
	// the same attempts timing out.
	Timeouts bool

	Def string
	Arn string
}

// Execution is one execution of the workload and what an uninterrupted
// run of it gives.
type Execution struct {
	I     int
	Name  string
	M     *Machine
	Input string
	Arn   string

	Want        Result
	WantHistory []string // normalised events, sorted
}

// Result is how an execution ended.
type Result struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

// Workload is the state machines, activities and executions of a test.
type Workload struct {
	Machines   []*Machine
	Activities []*Activity
	Execs      []*Execution
	// Formula is the result an activity machine's execution must have,
	// written out by hand: it checks the in-process reference runs.
	Formula func(*Execution) Result
}

// Load reads the machines' definitions.
func (w *Workload) Load() error {
	for _, m := range w.Machines {
		b, err := os.ReadFile(m.Path)
		if err != nil {
			return err
		}
		m.Def = string(b)
		m.Arn = arn.StateMachine(Region, Account, m.Name)
	}
	return nil
}

// AddExecutions adds n executions, exec-0 to exec-(n-1), of the machines
// machineOf picks, with input {"i":I,"w":1 or 2}.
func (w *Workload) AddExecutions(n int, machineOf func(i int) *Machine) {
	for i := range n {
		m := machineOf(i)
		name := fmt.Sprintf("exec-%d", i)
		w.Execs = append(w.Execs, &Execution{
			I: i, Name: name, M: m,
			Input: fmt.Sprintf(`{"i":%d,"w":%d}`, i, 1+i%2),
			Arn:   arn.Execution(m.Arn, name),
		})
	}
}

// References fills every execution's Want and WantHistory from an
// uninterrupted run.
func (w *Workload) References() error {
	return ForEach(w.Execs, 4, w.reference)
}

func (w *Workload) reference(e *Execution) error {
	var res Result
	var history []map[string]any
	if !e.M.Activity {
		// `statecraft run --fast-forward --history`, called in process: the
		// same code as the subcommand, without hundreds of process starts
		// (which cost a minute when the binary is built with -race).
		var stdout, stderr bytes.Buffer
		err := cli.Run(context.Background(), cli.RunOptions{
			Definition: e.M.Path, Input: e.Input,
			FastForward: true, History: true,
			Name: e.Name, StateMachine: e.M.Name, Region: Region, Account: Account,
		}, &stdout, &stderr)
		if err != nil {
			return fmt.Errorf("statecraft run %s: %v\n%s", e.M.Path, err, stderr.String())
		}
		var r struct {
			Result
			History []map[string]any `json:"history"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			return fmt.Errorf("statecraft run %s: %v\n%s", e.M.Path, err, stdout.String())
		}
		res, history = r.Result, r.History
	} else {
		var err error
		res, history, err = w.runInProcess(e, nil)
		if err != nil {
			return err
		}
		if f := w.Formula(e); !SameResult(res, f) {
			return fmt.Errorf("%s: the reference run gave %s, the formula %s", e.Name, Show(res), Show(f))
		}
	}
	e.Want = res
	e.WantHistory = nil
	for _, ev := range history {
		e.WantHistory = append(e.WantHistory, NormEvent(ev))
	}
	sort.Strings(e.WantHistory)
	return nil
}

// runInProcess runs an activity machine in the interpreter, its tasks
// answered by the activities' decision functions, except the attempts
// timedOut names (numbered from 0 in the order they are made), which time
// out with the error given.
func (w *Workload) runInProcess(e *Execution, timedOut map[int]string) (Result, []map[string]any, error) {
	sm, err := asl.Parse([]byte(e.M.Def))
	if err != nil {
		return Result{}, nil, err
	}
	in, err := jsonv.ParseString(e.Input)
	if err != nil {
		return Result{}, nil, err
	}
	m := interp.New(sm, interp.Options{History: true, MaxEvents: interp.DefaultMaxEvents})
	var mu sync.Mutex
	attempt := -1
	resolve := func(_ context.Context, task taskport.Request) (any, error) {
		mu.Lock()
		attempt++
		k := attempt
		mu.Unlock()
		if name, ok := timedOut[k]; ok {
			return nil, &taskport.Failure{Name: name}
		}
		for _, a := range w.Activities {
			if task.Resource != ActivityArn(a.Name) {
				continue
			}
			out, errName, cause := a.Decide(jsonv.String(task.Input))
			if errName != "" {
				return nil, &taskport.Failure{Name: errName, Cause: cause}
			}
			return jsonv.ParseString(out)
		}
		return nil, fmt.Errorf("no worker for %s", task.Resource)
	}
	r, err := runner.Run(context.Background(), m, runner.Options{
		Info: interp.Info{
			ExecutionArn: e.Arn, Name: e.Name, StateMachineArn: e.M.Arn, StateMachineName: e.M.Name,
			RoleArn: Role, Region: Region, Input: in,
		},
		Tasks:       taskport.Func(resolve),
		FastForward: true,
	})
	if err != nil {
		return Result{}, nil, err
	}
	res := Result{Status: string(r.Status), Error: r.Error, Cause: r.Cause}
	if r.Status == interp.Succeeded {
		res.Output = jsonv.Marshal(r.Output)
	}
	var history []map[string]any
	for i := range r.History {
		var ev map[string]any
		if err := json.Unmarshal(r.History[i].AppendJSON(nil), &ev); err != nil {
			return Result{}, nil, err
		}
		history = append(history, ev)
	}
	return res, history, nil
}

func SameResult(a, b Result) bool {
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

func Show(r Result) string {
	if r.Status == "SUCCEEDED" {
		return fmt.Sprintf("%s %s", r.Status, r.Output)
	}
	return fmt.Sprintf("%s error=%q cause=%q", r.Status, r.Error, r.Cause)
}

// ForEach runs fn over execs on n goroutines and returns the first error.
func ForEach(execs []*Execution, n int, fn func(*Execution) error) error {
	ch := make(chan *Execution)
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

// ---------------------------------------------------------------------------
// History normalisation: an event as its type and the details that do not
// depend on time, the worker or the order in which branches interleave.

var keptDetails = []string{"name", "input", "output", "error", "cause", "index", "length",
	"resource", "resourceType", "parameters", "timeoutInSeconds", "heartbeatInSeconds"}

// NormEvent normalises an event in the API's JSON shape.
func NormEvent(ev map[string]any) string {
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

// SDKEvent turns an SDK event into the API's JSON shape: the SDK's field
// names are the API's member names with a capital first letter.
func SDKEvent(ev types.HistoryEvent) map[string]any {
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
