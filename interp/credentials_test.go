package interp_test

import (
	"testing"

	"github.com/statecraft/statecraft/interp"
)

// A Task's Credentials reach the host as the task's RoleArn and the
// history as taskCredentials.roleArn, from a literal, a path or a JSONata
// expression; a role that is no string fails the state.
func TestTaskCredentials(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	const role = "arn:aws:iam::222222222222:role/invoker"
	cases := []struct {
		name, def, input string
		event            string // the scheduling event
		wantErr          string // "": the task runs under role
	}{
		{"literal", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"` + fn + `"},"Credentials":{"RoleArn":"` + role + `"},"End":true}}}`, `{}`, "TaskScheduled", ""},
		{"path", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fn + `","InputPath":"$.in","Credentials":{"RoleArn.$":"$.role"},"End":true}}}`, `{"in":{"role":"` + role + `"}}`, "LambdaFunctionScheduled", ""},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fn + `","Credentials":{"RoleArn":"{% $states.input.role %}"},"End":true}}}`, `{"role":"` + role + `"}`, "LambdaFunctionScheduled", ""},
		{"path to a number", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fn + `","Credentials":{"RoleArn.$":"$.role"},"End":true}}}`, `{"role":7}`, "", interp.ErrRuntime},
		{"JSONata to nothing", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fn + `","Credentials":{"RoleArn":"{% $states.input.nope %}"},"End":true}}}`, `{}`, "", "States.QueryEvaluationError"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := compile(t, c.def)
			x, cmds := m.Start(testInfo(parseJSON(t, c.input)), t0, 1)
			if c.wantErr != "" {
				if x.Status != interp.Failed || x.Error != c.wantErr {
					t.Fatalf("status %s %s (%s), want FAILED %s\n%s", x.Status, x.Error, x.Cause, c.wantErr, dump(x.History))
				}
				return
			}
			var task *interp.Task
			for _, cmd := range cmds {
				if cmd.Kind == interp.RunTask {
					task = cmd.Task
				}
			}
			if task == nil || task.RoleArn != role {
				t.Fatalf("task %+v, want RoleArn %s", task, role)
			}
			ev := eventsOf(x.History, c.event)
			if len(ev) != 1 || mustJSON(field(t, ev[0], "taskCredentials")) != `{"roleArn":"`+role+`"}` {
				t.Fatalf("%s: %v", c.event, ev)
			}
		})
	}
}
