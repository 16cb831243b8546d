package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/project"
	"github.com/statecraft/statecraft/store/memstore"
)

func TestApplyCreatesUpdatesAndRefuses(t *testing.T) {
	st := memstore.New()
	tg := Target{Store: st, Connections: &Connections{}, Region: "us-east-1", Account: "123456789012"}
	ctx := context.Background()
	def := func(v string) string {
		return `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + v + `","End":true}}}`
	}
	b := &Bundle{
		StateMachines: []project.StateMachine{{Name: "m", Definition: def("one")}},
		Connections:   []project.Connection{{Name: "api", APIKey: &project.APIKeyAuth{Name: "x-api-key", Value: "k"}}},
	}
	rep, err := Apply(ctx, tg, b)
	if err != nil || len(rep.Created) != 1 {
		t.Fatalf("first deploy: %+v %v", rep, err)
	}
	conn, ok := tg.Connections.Connection("arn:aws:events:us-east-1:123456789012:connection/api")
	if !ok || conn.APIKey == nil || conn.APIKey.Value != "k" {
		t.Fatalf("connection %+v", conn)
	}
	if rep, err = Apply(ctx, tg, b); err != nil || len(rep.Unchanged) != 1 {
		t.Fatalf("same again: %+v %v", rep, err)
	}
	b.StateMachines[0].Definition = def("two")
	if rep, err = Apply(ctx, tg, b); err != nil || len(rep.Updated) != 1 {
		t.Fatalf("changed definition: %+v %v", rep, err)
	}

	// A bad definition refuses the whole bundle and changes nothing.
	b.StateMachines = append(b.StateMachines, project.StateMachine{Name: "bad", DefinitionFile: "bad.json", Definition: `{"StartAt":"X","States":{}}`})
	b.StateMachines[0].Definition = def("three")
	_, err = Apply(ctx, tg, b)
	var de *Error
	if !errors.As(err, &de) || !strings.Contains(de.Error(), "bad.json") {
		t.Fatalf("bad definition: %v", err)
	}
	sm, _ := st.GetStateMachine(ctx, "arn:aws:states:us-east-1:123456789012:stateMachine:m")
	if !strings.Contains(sm.Definition, "two") {
		t.Fatalf("a refused deploy changed a machine: %s", sm.Definition)
	}

	// Functions need a host.
	_, err = Apply(ctx, tg, &Bundle{Functions: []project.Function{{Name: "f"}}})
	if !errors.As(err, &de) {
		t.Fatalf("functions without a host: %v", err)
	}
	// A machine cannot change type.
	_, err = Apply(ctx, tg, &Bundle{StateMachines: []project.StateMachine{{Name: "m", Type: project.Express, Definition: def("x")}}})
	if err == nil || !strings.Contains(err.Error(), "type cannot change") {
		t.Fatalf("type change: %v", err)
	}
}

// Apply takes the operator's own project file: code where it lies and any
// environment, but still only the allow-listed runtimes, in the target's
// account.
func TestApplyChecksRuntimesButTrustsTheProject(t *testing.T) {
	needNode(t)
	s := newServer(t)
	ctx := context.Background()
	_, err := Apply(ctx, s.t, &Bundle{Functions: []project.Function{
		{Name: "pwn", Runtime: "perl", Handler: "perl", CodeDir: "/usr/bin"},
		{Name: "py", Runtime: "python3.12", Handler: "app.handler", CodeDir: t.TempDir()},
	}})
	var de *Error
	if !errors.As(err, &de) || !strings.Contains(de.Error(), `function pwn: functions: pwn: unsupported runtime "perl"`) ||
		!strings.Contains(de.Error(), `function py: functions: py: unsupported runtime "python3.12"`) {
		t.Fatalf("got %v", err)
	}
	dir := nodeCode(t, "project")
	rep, err := Apply(ctx, s.t, &Bundle{Functions: []project.Function{
		{Name: "who", Runtime: "nodejs20.x", Handler: "index.who", CodeDir: dir, Env: map[string]string{"NODE_OPTIONS": "--max-old-space-size=100", "EXTRA": "x"}, Timeout: 30 * time.Second},
	}})
	if err != nil || len(rep.Functions) != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if out := invokeWho(t, s, s.t.Account, "who"); out.Who != "project" || out.Root != dir || out.Extra == nil || *out.Extra != "x" {
		t.Fatalf("%+v", out)
	}
	if _, err := s.t.Functions.Invoke(ctx, accountA, "who", nil, functions.InvokeMeta{}); !errors.Is(err, functions.ErrFunctionNotFound) {
		t.Fatalf("another account sees the project's function: %v", err)
	}
}
