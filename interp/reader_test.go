package interp_test

import (
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

const readerDef = `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
	"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2",
		"ReaderConfig":{"MaxItemsPath":"$.max"},
		"Parameters":{"Bucket.$":"$.bucket","Prefix":"in/"}},
	"ItemSelector":{"k.$":"$$.Map.Item.Value.Key","i.$":"$$.Map.Item.Index"},
	"Retry":[{"ErrorEquals":["States.ItemReaderFailed"],"MaxAttempts":1,"IntervalSeconds":1}],
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`

// readCommand is the one item read among cmds.
func readCommand(t *testing.T, cmds []interp.Command) interp.Command {
	t.Helper()
	for _, c := range cmds {
		if c.Kind == interp.RunTask && c.Task.Resource == interp.ItemReaderResource {
			return c
		}
	}
	t.Fatalf("no item read among %+v", cmds)
	return interp.Command{}
}

// The interpreter asks for the items with a command and takes them from
// the event that answers it: the same event replays the same run, with no
// read.
func TestItemReaderCommandAndReplay(t *testing.T) {
	m := compile(t, readerDef)
	input := parseJSON(t, `{"bucket":"b","max":"2"}`)
	items := parseJSON(t, `[{"Key":"in/a"},{"Key":"in/b"},{"Key":"in/c"}]`)

	x, cmds := m.Start(testInfo(input), t0, 1)
	c := readCommand(t, cmds)
	wantIn := `{"Resource":"arn:aws:states:::s3:listObjectsV2","Arguments":{"Prefix":"in/","Bucket":"b"},"ReaderConfig":{"MaxItems":2}}`
	if got := jsonv.String(c.Task.Input); got != wantIn {
		t.Fatalf("read input %s, want %s", got, wantIn)
	}
	ev := interp.Event{Kind: interp.TaskSucceeded, Ref: c.Ref, Time: t0, Output: items}
	x.Apply(ev)
	if x.Status != interp.Succeeded {
		t.Fatalf("status %s (%s: %s)\n%s", x.Status, x.Error, x.Cause, dump(x.History))
	}
	want := `[{"i":0,"k":"in/a"},{"i":1,"k":"in/b"}]`
	if got := jsonv.String(x.Output); got != want {
		t.Fatalf("output %s, want %s (MaxItems 2 keeps the first two)", got, want)
	}
	if n := eventsOf(x.History, "MapStateStarted"); len(n) != 1 || mustJSON(field(t, n[0], "length")) != "2" {
		t.Errorf("MapStateStarted: %v", n)
	}

	y, cmds := m.Start(testInfo(input), t0, 1)
	y.SetHistory(false)
	ev.Ref = readCommand(t, cmds).Ref
	y.Apply(ev)
	if y.Status != interp.Succeeded || jsonv.String(y.Output) != want || y.EventCount() != x.EventCount() {
		t.Fatalf("replay: %s %s, %d events, want %d", y.Status, jsonv.String(y.Output), y.EventCount(), x.EventCount())
	}
}

// A failed read is the Map's error: Retry reads again, a new attempt.
func TestItemReaderRetry(t *testing.T) {
	m := compile(t, readerDef)
	x, cmds := m.Start(testInfo(parseJSON(t, `{"bucket":"b","max":5}`)), t0, 1)
	c := readCommand(t, cmds)
	cmds = x.Apply(interp.Event{Kind: interp.TaskFailed, Ref: c.Ref, Time: t0, Error: interp.ErrItemReaderFailed, Cause: "NoSuchKey"})
	if len(cmds) != 1 || cmds[0].Kind != interp.StartTimer {
		t.Fatalf("want a retry timer, got %+v", cmds)
	}
	cmds = x.Apply(interp.Event{Kind: interp.TimerFired, Ref: cmds[0].Ref, Time: cmds[0].Due})
	c = readCommand(t, cmds)
	if c.Task.Attempt != 1 {
		t.Errorf("attempt %d, want 1", c.Task.Attempt)
	}
	x.Apply(interp.Event{Kind: interp.TaskFailed, Ref: c.Ref, Time: cmds[0].Due, Error: interp.ErrItemReaderFailed, Cause: "NoSuchKey"})
	if x.Status != interp.Failed || x.Error != interp.ErrItemReaderFailed || x.Cause != "NoSuchKey" {
		t.Fatalf("status %s %s %s", x.Status, x.Error, x.Cause)
	}
}
