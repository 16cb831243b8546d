package runner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

type itemsPort func(taskport.Request) (any, error)

func (p itemsPort) Invoke(_ context.Context, r taskport.Request) (any, error) { return p(r) }

const readerMap = `{"StartAt":"M","States":{"M":{"Type":"Map",
	"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"data","Key":"k"}},
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
	"End":true}}}`

// Item reads go to Options.Items, not to Tasks; without Items, or when it
// fails with a plain error, the Map fails with States.ItemReaderFailed.
func TestRunItems(t *testing.T) {
	tasks := itemsPort(func(r taskport.Request) (any, error) { t.Errorf("Tasks asked for %s", r.Resource); return nil, nil })
	items := itemsPort(func(r taskport.Request) (any, error) {
		if r.Resource != interp.ItemReaderResource {
			t.Errorf("Items asked for %s", r.Resource)
		}
		return []any{"a", "b"}, nil
	})
	res, err := runner.Run(context.Background(), machine(t, readerMap), runner.Options{Tasks: tasks, Items: items, Now: fixed, FastForward: true})
	if err != nil || res.Status != interp.Succeeded || len(res.Output.([]any)) != 2 {
		t.Fatalf("with Items: %+v, %v", res, err)
	}
	for name, p := range map[string]taskport.Port{
		"none":  nil,
		"plain": itemsPort(func(taskport.Request) (any, error) { return nil, errors.New("boom") }),
	} {
		res, err := runner.Run(context.Background(), machine(t, readerMap), runner.Options{Tasks: tasks, Items: p, Now: fixed, FastForward: true})
		if err != nil || res.Status != interp.Failed || res.Error != interp.ErrItemReaderFailed {
			t.Errorf("%s: %+v, %v", name, res, err)
		}
	}
}
