package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/awssdk"
	"github.com/statecraft/statecraft/integrations"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/mocks"
	"github.com/statecraft/statecraft/project"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

// RunOptions are the flags of `statecraft run`.
type RunOptions struct {
	Definition   string
	Input        string // JSON text, or @FILE
	History      bool
	Mocks        string
	TestCase     string
	StateMachine string // name to look up in the mock file; defaults to its only machine
	FastForward  bool
	MaxPayload   int
	MaxEvents    int64 // 0: AWS's 25,000; negative: no limit
	Name         string
	Region       string
	Account      string
	// Progress shows states as they are entered, on stderr; they are
	// shown anyway when stderr is a terminal, for the person watching.
	Progress bool
	// S3 is the object store of Distributed Maps' ItemReader and
	// ResultWriter, as the server's --s3-* settings name it.
	S3 S3Options
	// Project is a project file whose s3 section names the store instead,
	// and whose services section the AWS services Task states call.
	Project string
	// Services is a --services file (package awsconf), as the server's.
	Services string
}

// noRunStore fails the item reads and results writes of a run with no
// object store, naming the flags that give one.
type noRunStore struct{}

func (noRunStore) Invoke(_ context.Context, req taskport.Request) (any, error) {
	name := interp.ErrItemReaderFailed
	if req.Resource == interp.ResultWriterResource {
		name = interp.ErrResultWriterFailed
	}
	return nil, taskport.Fail(name, runner.NoItemStore+" Run with --s3-endpoint URL (an S3-compatible store) or --s3-dir DIR (a directory whose subdirectories are the buckets).")
}

// Run runs one execution in process and writes the result object to stdout.
func Run(ctx context.Context, o RunOptions, stdout, stderr io.Writer) error {
	o.Progress = o.Progress || isTerminal(stderr)
	def, err := LoadDefinition(o.Definition, stderr)
	if err != nil {
		return err
	}
	input, err := readInput(o.Input)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	// The state machine name, in the mock file and the ARNs: --state-machine,
	// else the mock file's only state machine, else the file name.
	machineName := o.StateMachine
	fileName := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(o.Definition), ".json"), ".asl")
	var tasks taskport.Port
	if o.Mocks != "" {
		cfg, err := mocks.Load(o.Mocks)
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		if o.TestCase == "" {
			return &ExitError{Code: 1, Err: errors.New("--mocks needs --test-case NAME")}
		}
		lookup := o.StateMachine
		if names := cfg.StateMachines(); lookup == "" && len(names) > 1 && slices.Contains(names, fileName) {
			lookup = fileName
		}
		tc, err := cfg.TestCase(lookup, o.TestCase)
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		tasks = tc.Port()
		machineName = tc.StateMachine
	}
	if machineName == "" {
		machineName = fileName
	}
	name := o.Name
	if name == "" {
		name = fmt.Sprintf("run-%d", time.Now().UnixNano())
	}
	smArn := arn.StateMachine(o.Region, o.Account, machineName)
	info := interp.Info{
		ExecutionArn:     arn.Execution(smArn, name),
		Name:             name,
		StateMachineArn:  smArn,
		StateMachineName: machineName,
		RoleArn:          arn.Role(o.Region, o.Account, "statecraft-run"),
		Region:           o.Region,
		Input:            input,
	}
	maxPayload := o.MaxPayload
	if maxPayload == 0 {
		maxPayload = interp.DefaultMaxPayload
	}
	if maxPayload > 0 && jsonv.Size(input, maxPayload) > maxPayload {
		return &ExitError{Code: 1, Err: fmt.Errorf("input is larger than the %d-byte payload limit (raise it with --max-payload)", maxPayload)}
	}
	maxEvents := o.MaxEvents
	switch {
	case maxEvents == 0:
		maxEvents = interp.DefaultMaxEvents
	case maxEvents < 0:
		maxEvents = 0
	}
	m := interp.New(def, interp.Options{History: o.History || o.Progress, MaxPayload: maxPayload, MaxEvents: maxEvents})
	ropts := runner.Options{Info: info, Tasks: tasks, FastForward: o.FastForward, Items: noRunStore{}}
	s3 := o.S3
	var proj *project.Project
	if o.Project != "" {
		p, err := project.Load(o.Project, project.Options{Region: o.Region, Account: o.Account})
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		if p.S3 == nil && p.Services == nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("%s has no s3 or services section: --project only names the object store and the AWS services of `statecraft run`", o.Project)}
		}
		if p.S3 != nil {
			if s3, err = s3.withProject(p, o.Project, os.LookupEnv); err != nil {
				return &ExitError{Code: 1, Err: err}
			}
		}
		proj = p
	}
	if o.Mocks == "" {
		// Without mocks, the optimized AWS integrations call the services
		// the --services file and the project's services section name.
		services, err := serviceConfigs(o.Region, o.Services, proj, o.Project)
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		port, sdk := &integrations.Port{Configs: services}, awssdk.New(services)
		ropts.Tasks = taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
			if integrations.Runs(req.Resource) {
				return port.Invoke(ctx, req)
			}
			if r, ok := awssdk.ParseResource(req.Resource); ok && awssdk.Supported(r.Service, r.Action) {
				return sdk.Invoke(ctx, req)
			}
			// Stops the run, as with no port at all: only mocks or the
			// AWS integrations answer tasks here.
			return nil, fmt.Errorf("state %q: nothing runs the Task resource %s here (give --mocks)", req.StateName, req.Resource)
		})
	} else if o.Services != "" {
		return &ExitError{Code: 1, Err: errors.New("--services and --mocks are exclusive: mocks answer every Task state")}
	}
	items, err := s3.Reader(o.Region)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	if items != nil {
		ropts.Items = items
	}
	if o.Progress {
		start := time.Now()
		var virtualStart time.Time
		ropts.OnEvents = func(evs []interp.HistoryEvent) {
			for _, ev := range evs {
				if virtualStart.IsZero() {
					virtualStart = ev.Timestamp
				}
				progress(stderr, ev, ev.Timestamp.Sub(virtualStart), time.Since(start), o.FastForward)
			}
		}
	}
	res, err := runner.Run(ctx, m, ropts)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	return writeResult(stdout, res, o.History)
}

func progress(w io.Writer, ev interp.HistoryEvent, virtual, real time.Duration, ff bool) {
	elapsed := fmt.Sprintf("+%s", real.Round(time.Millisecond))
	if ff {
		elapsed = fmt.Sprintf("+%s (clock +%s)", real.Round(time.Millisecond), virtual.Round(time.Millisecond))
	}
	d := ev.Details
	switch {
	case strings.HasSuffix(ev.Type, "StateEntered"):
		fmt.Fprintf(w, "▶ %-28s %-9s %s\n", d.Name, strings.TrimSuffix(ev.Type, "StateEntered"), elapsed)
	case strings.HasSuffix(ev.Type, "Failed") || strings.HasSuffix(ev.Type, "TimedOut"):
		msg := ev.Type
		if d != nil && d.Error != nil {
			msg += " " + *d.Error
		}
		fmt.Fprintf(w, "  ✗ %s %s\n", msg, elapsed)
	case ev.Type == "ExecutionSucceeded":
		fmt.Fprintf(w, "✓ succeeded %s\n", elapsed)
	}
}

func writeResult(w io.Writer, res *runner.Result, history bool) error {
	b := []byte(`{"status":`)
	b = jsonv.AppendString(b, string(res.Status))
	if res.Status == interp.Succeeded {
		b = append(b, `,"output":`...)
		b = jsonv.Append(b, res.Output)
	} else {
		if res.HasError {
			b = append(b, `,"error":`...)
			b = jsonv.AppendString(b, res.Error)
		}
		if res.HasCause {
			b = append(b, `,"cause":`...)
			b = jsonv.AppendString(b, res.Cause)
		}
	}
	if history {
		b = append(b, `,"history":[`...)
		for i := range res.History {
			if i > 0 {
				b = append(b, ',')
			}
			b = res.History[i].AppendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, '}', '\n')
	_, err := w.Write(b)
	return err
}

func readInput(s string) (any, error) {
	if s == "" {
		return jsonv.NewObject(0), nil
	}
	data := []byte(s)
	if strings.HasPrefix(s, "@") {
		var err error
		data, err = os.ReadFile(s[1:])
		if err != nil {
			return nil, err
		}
	}
	v, err := jsonv.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("--input is not valid JSON: %v", err)
	}
	return v, nil
}

// isTerminal tells whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
