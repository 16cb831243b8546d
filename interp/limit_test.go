package interp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"

	"github.com/statecraft/statecraft/jsonv"
)

// The interpreter bounds payload sizes from state to state instead of
// measuring every output; a state must still fail with
// States.DataLimitExceeded exactly when its output is over the limit. Each
// machine here grows its payload state by state: run without a limit, the
// history gives every state's output size, and with a limit the execution
// must fail at the first state whose output is over it.
func TestPayloadLimitFollowsSizes(t *testing.T) {
	chain := func(n int, state func(i int) string) string {
		var b strings.Builder
		b.WriteString(`{"StartAt":"S0","States":{`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			next := fmt.Sprintf(`"Next":"S%d"`, i+1)
			if i == n-1 {
				next = `"End":true`
			}
			fmt.Fprintf(&b, `"S%d":{%s,%s}`, i, state(i), next)
		}
		b.WriteString(`}}`)
		return b.String()
	}
	defs := map[string]string{
		"parameters doubling": chain(12, func(i int) string {
			return `"Type":"Pass","Parameters":{"a.$":"$","b.$":"$","k":"kk"}`
		}),
		"parameters scalars": chain(12, func(i int) string {
			return fmt.Sprintf(`"Type":"Pass","Parameters":{"v.$":"States.Format('{}{}', $.v, $.v)","k":%d}`, i)
		}),
		"result nested path": chain(30, func(i int) string {
			return fmt.Sprintf(`"Type":"Pass","Result":{"x":"%s"},"ResultPath":"$.r%d.s.t"`, strings.Repeat("x", i), i)
		}),
		"result replaced": chain(30, func(i int) string {
			return fmt.Sprintf(`"Type":"Pass","Result":"%s","ResultPath":"$.r"`, strings.Repeat("y", 3*i))
		}),
		"result index": chain(20, func(i int) string {
			return fmt.Sprintf(`"Type":"Pass","Result":"%s","ResultPath":"$.arr[1]"`, strings.Repeat("z", 5*i))
		}),
		"input and output paths": chain(12, func(i int) string {
			return `"Type":"Pass","InputPath":"$.a","Parameters":{"a.$":"$","b.$":"$"},"ResultPath":"$.a","OutputPath":"$"`
		}),
		"result selector": chain(8, func(i int) string {
			return fmt.Sprintf(`"Type":"Parallel","Branches":[{"StartAt":"B%[1]d","States":{"B%[1]d":{"Type":"Pass","End":true}}},{"StartAt":"C%[1]d","States":{"C%[1]d":{"Type":"Pass","Parameters":{"c.$":"$"},"End":true}}}],"ResultSelector":{"p.$":"$[0]","q.$":"$[1]"},"ResultPath":"$.a"`, i)
		}),
		"map": chain(8, func(i int) string {
			return fmt.Sprintf(`"Type":"Map","ItemsPath":"$.arr","ItemProcessor":{"StartAt":"I%[1]d","States":{"I%[1]d":{"Type":"Pass","Parameters":{"i.$":"$","j.$":"$"},"End":true}}},"ResultPath":"$.arr"`, i)
		}),
		"choice": `{"StartAt":"P","States":{
			"P":{"Type":"Pass","Parameters":{"a.$":"$","n.$":"States.MathAdd($.n, 1)"},"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":40,"Next":"D"}],"Default":"P"},
			"D":{"Type":"Succeed"}}}`,
	}
	input := `{"v":"ab","a":{"n":1},"arr":[1,2,3],"n":0}`
	for name, def := range defs {
		t.Run(name, func(t *testing.T) {
			free, _ := run(t, compile(t, def, interp.Options{History: true, MaxPayload: -1, MaxEvents: 400}), input, nil)
			// Output size of each state, in order.
			type exit struct {
				state string
				size  int
			}
			var exits []exit
			for _, e := range free.History {
				if strings.HasSuffix(e.Type, "StateExited") && e.Details != nil && e.Details.Output != nil {
					exits = append(exits, exit{e.Details.Name, len(*e.Details.Output)})
				}
			}
			if len(exits) < 4 {
				t.Fatalf("only %d states exited: %s", len(exits), dump(free.History))
			}
			for _, limit := range []int{exits[1].size, exits[len(exits)/2].size, exits[len(exits)/2].size - 1, exits[len(exits)-1].size - 1} {
				wantState := ""
				for _, e := range exits {
					if e.size > limit {
						wantState = e.state
						break
					}
				}
				res, _ := run(t, compile(t, def, interp.Options{History: true, MaxPayload: limit, MaxEvents: 400}), input, nil)
				if wantState == "" {
					if res.Status != interp.Succeeded {
						t.Errorf("limit %d: %s %s %s, want success", limit, res.Status, res.Error, res.Cause)
					}
					continue
				}
				want := fmt.Sprintf("The state/task '%s' returned", wantState)
				if res.Error != "States.DataLimitExceeded" || !strings.HasPrefix(res.Cause, want) {
					t.Errorf("limit %d: %s %s %q, want States.DataLimitExceeded at %s", limit, res.Status, res.Error, res.Cause, wantState)
				}
			}
		})
	}
}

// A loop of Pass and Choice states waits for nothing, so no step would
// ever return: it fails at the history limit when there is one, and at the
// per-step transition bound when there is none (Express, or a Distributed
// Map child, records nothing).
func TestEndlessLoopFails(t *testing.T) {
	states := `{"A":{"Type":"Pass","Next":"B"},
		"B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"A"},
		"Done":{"Type":"Succeed"}}`
	loop := `{"StartAt":"A","States":` + states + `}`
	dmap := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"A","States":` + states + `},"End":true}}}`
	// An Express child's states are not billed transitions of its parent,
	// but the bound counts them all the same.
	xmap := strings.Replace(dmap, `"ExecutionType":"STANDARD"`, `"ExecutionType":"EXPRESS"`, 1)
	// Mostly Pass states with a Result: planned, a chain of them runs on
	// in a loop of its own (enterPassResult), which must ask for the
	// bounds too. The bound of 5,000 falls inside the chain: 5,000 is 2
	// past a multiple of the loop's 6 states.
	passLoop := `{"StartAt":"P1","States":{
		"P1":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"P2"},
		"P2":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"P3"},
		"P3":{"Type":"Pass","Result":3,"ResultPath":"$.a","Next":"P4"},
		"P4":{"Type":"Pass","Result":4,"ResultPath":"$.b","Next":"P5"},
		"P5":{"Type":"Pass","Result":5,"ResultPath":"$.c","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"P1"},
		"Done":{"Type":"Succeed"}}}`
	cases := []struct {
		name, def string
		input     any
		opts      interp.Options
		cause     string
	}{
		{"history limit", loop, jsonv.NewObject(0), interp.Options{History: true, MaxEvents: 1000}, "The execution reached the limit of 1000 history events."},
		{"no history limit", loop, jsonv.NewObject(0), interp.Options{MaxTransitionsPerStep: 5000}, "The execution entered 5000 states without waiting"},
		{"pass result loop, history limit", passLoop, jsonv.NewObject(0), interp.Options{History: true, MaxEvents: 1000}, "The execution reached the limit of 1000 history events."},
		{"pass result loop, no history limit", passLoop, jsonv.NewObject(0), interp.Options{MaxTransitionsPerStep: 5000}, "The execution entered 5000 states without waiting"},
		{"distributed map child", dmap, []any{jsonv.NewObject(0)}, interp.Options{History: true, MaxEvents: 1000, MaxTransitionsPerStep: 5000}, "The execution entered 5000 states without waiting"},
		{"express distributed map child", xmap, []any{jsonv.NewObject(0)}, interp.Options{History: true, MaxEvents: 1000, MaxTransitionsPerStep: 5000}, "The execution entered 5000 states without waiting"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := compile(t, c.def, c.opts)
			info := interp.Info{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:sm:x", Name: "x", Input: c.input}
			x, _ := m.Start(info, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1)
			if x.Status != interp.Failed || x.Error != "States.Runtime" || !strings.Contains(x.Cause, c.cause) {
				t.Fatalf("got %s %s %q, want FAILED States.Runtime %q", x.Status, x.Error, x.Cause, c.cause)
			}
			if c.opts.MaxTransitionsPerStep > 0 && c.def != dmap && c.def != xmap && x.Transitions != c.opts.MaxTransitionsPerStep {
				t.Errorf("%d transitions, want the bound, %d", x.Transitions, c.opts.MaxTransitionsPerStep)
			}
		})
	}
}
