package interp_test

import (
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// TestAbortedMapRunOwesItsExport: an execution that ends (stopped, or
// timed out) while a Distributed Map with an exporting ResultWriter runs
// owes the aborted Map Run's export as a WriteAfterEnd command: the child
// that succeeded, the running one as ABORTED, the item never started as
// PENDING. A ResultWriter that only formats (WriterConfig, no Resource)
// owes nothing, and a redrive forgets what the end owed.
func TestAbortedMapRunOwesItsExport(t *testing.T) {
	const act = "arn:aws:states:us-east-1:123456789012:activity:work"
	def := func(writer string) string {
		return `{"TimeoutSeconds":100,"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
				"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + act + `","End":true}}},
			"ResultWriter":` + writer + `}}}`
	}
	const export = `{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"res"}}`
	for _, tc := range []struct {
		name, writer string
		end          func(x *interp.Execution, timer int64) []interp.Command
		owes         bool
	}{
		{"stopped", export, func(x *interp.Execution, _ int64) []interp.Command {
			return x.Apply(interp.Event{Kind: interp.Stop, Time: t0.Add(3 * time.Second)})
		}, true},
		{"timed out", export, func(x *interp.Execution, timer int64) []interp.Command {
			return x.Apply(interp.Event{Kind: interp.TimerFired, Ref: timer, Time: t0.Add(100 * time.Second)})
		}, true},
		{"WriterConfig alone", `{"WriterConfig":{"Transformation":"COMPACT"}}`, func(x *interp.Execution, _ int64) []interp.Command {
			return x.Apply(interp.Event{Kind: interp.Stop, Time: t0.Add(3 * time.Second)})
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, cmds := compile(t, def(tc.writer)).Start(testInfo([]any{int64(1), int64(2), int64(3)}), t0, 1)
			var timer, task int64
			for _, c := range cmds {
				switch c.Kind {
				case interp.StartTimer:
					timer = c.Ref
				case interp.RunTask:
					task = c.Ref
				}
			}
			cmds = x.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: task, Time: t0.Add(time.Second), Output: "one"})
			if len(cmds) != 1 || cmds[0].Kind != interp.RunTask {
				t.Fatalf("the second child did not start: %+v", cmds)
			}
			var owed []interp.Command
			for _, c := range tc.end(x, timer) {
				if c.Kind == interp.WriteAfterEnd {
					owed = append(owed, c)
				}
			}
			if x.Status == interp.Running {
				t.Fatal("the execution did not end")
			}
			if !tc.owes {
				if len(owed) != 0 {
					t.Fatalf("owed %+v", owed)
				}
				return
			}
			if len(owed) != 1 || owed[0].Ref != -1 || owed[0].Task.Resource != interp.ResultWriterResource || x.AfterEndTask(-1) != owed[0].Task {
				t.Fatalf("owed %+v", owed)
			}
			in := owed[0].Task.Input.(*jsonv.Object)
			res := in.Value("Results").(*jsonv.Object)
			s, f, p := res.Value("SUCCEEDED").([]any), res.Value("FAILED").([]any), res.Value("PENDING").([]any)
			if len(s) != 1 || len(f) != 1 || len(p) != 1 ||
				s[0].(*jsonv.Object).Value("Output") != `"one"` ||
				f[0].(*jsonv.Object).Value("Status") != "ABORTED" || f[0].(*jsonv.Object).Value("RedriveStatus") != "REDRIVABLE_BY_MAP_RUN" ||
				p[0].(*jsonv.Object).Value("Input") != "3" {
				t.Fatalf("the owed export: %s", jsonv.String(in))
			}
			x.Apply(interp.Event{Kind: interp.Redrive, Time: t0.Add(200 * time.Second)})
			if x.Status != interp.Running || x.AfterEndTask(-1) != nil {
				t.Fatalf("after a redrive: %s, owes %+v", x.Status, x.AfterEndTask(-1))
			}
		})
	}
}

// TestStopWhileWritingOwesTheWrite: an execution stopped while its
// Distributed Map's export runs (the Map Run has ended) cancels the task
// but owes the same export again, under the task's Ref.
func TestStopWhileWritingOwesTheWrite(t *testing.T) {
	const act = "arn:aws:states:us-east-1:123456789012:activity:work"
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + act + `","End":true}}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"res"}}}}}`
	x, cmds := compile(t, def).Start(testInfo([]any{int64(1)}), t0, 1)
	if len(cmds) != 1 || cmds[0].Kind != interp.RunTask {
		t.Fatalf("start: %+v", cmds)
	}
	cmds = x.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: cmds[0].Ref, Time: t0.Add(time.Second), Output: "one"})
	if len(cmds) != 1 || cmds[0].Kind != interp.RunTask || cmds[0].Task.Resource != interp.ResultWriterResource {
		t.Fatalf("the export did not start: %+v", cmds)
	}
	write := cmds[0]
	var owed, cancelled []interp.Command
	for _, c := range x.Apply(interp.Event{Kind: interp.Stop, Time: t0.Add(2 * time.Second)}) {
		switch c.Kind {
		case interp.WriteAfterEnd:
			owed = append(owed, c)
		case interp.Cancel:
			cancelled = append(cancelled, c)
		}
	}
	if len(cancelled) != 1 || cancelled[0].Ref != write.Ref {
		t.Fatalf("cancelled %+v", cancelled)
	}
	if len(owed) != 1 || owed[0].Ref != write.Ref || owed[0].Task != write.Task || x.AfterEndTask(write.Ref) != write.Task {
		t.Fatalf("owed %+v, the write was %+v", owed, write)
	}
}
