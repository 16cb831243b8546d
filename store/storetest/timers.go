package storetest

import (
	"testing"

	"github.com/statecraft/statecraft/store"
)

// exerciseTimers checks the timer rows outside steps: the timer loop's
// reads and the writes heartbeats and stale fires make.
func exerciseTimers(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"Due", testTimersDue},
		{"DeleteTimer", testTimersDeleteTimer},
		{"SetTimer", testTimersSetTimer},
		{"SetTimerUnknownExecution", testTimersSetTimerUnknownExecution},
	})
}

func testTimersDue(t *testing.T, s store.Store) {
	if _, ok, err := s.NextTimer(ctxT(t), store.NextTimerParams{}); err != nil || ok {
		t.Fatalf("NextTimer on empty = %v, %v", ok, err)
	}
	a := start(t, s, "a", at(0), 0)
	b := start(t, s, "b", at(0), 0)
	for _, tm := range []store.Timer{
		{ExecutionArn: a.Arn, Ref: 1, Kind: store.TimerState, Due: at(30)},
		{ExecutionArn: b.Arn, Ref: 1, Kind: store.TimerTask, Due: at(10)},
		{ExecutionArn: a.Arn, Ref: 2, Kind: store.TimerHeartbeat, Due: at(20)},
		{ExecutionArn: b.Arn, Ref: 2, Kind: store.TimerState, Due: at(40)},
	} {
		must(t, "SetTimer", s.SetTimer(ctxT(t), tm))
	}
	next, ok, err := s.NextTimer(ctxT(t), store.NextTimerParams{})
	must(t, "NextTimer", err)
	if !ok {
		t.Fatal("NextTimer: none")
	}
	checkTime(t, "NextTimer", next, at(10))

	due, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(30), Limit: 10}) // inclusive
	must(t, "DueTimers", err)
	if len(due) != 3 || due[0].ExecutionArn != b.Arn || due[1].Ref != 2 || due[2].Ref != 1 || due[2].ExecutionArn != a.Arn {
		t.Errorf("DueTimers = %+v", due)
	}
	for i, w := range []int{10, 20, 30} {
		if i < len(due) {
			checkTime(t, "Due", due[i].Due, at(w))
		}
	}
	due, err = s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(100), Limit: 2})
	must(t, "DueTimers limit", err)
	if len(due) != 2 || due[0].Kind != store.TimerTask || due[1].Kind != store.TimerHeartbeat {
		t.Errorf("DueTimers limit 2 = %+v", due)
	}
	due, err = s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(9), Limit: 10})
	must(t, "DueTimers none due", err)
	if len(due) != 0 {
		t.Errorf("DueTimers before any = %+v", due)
	}
}

func testTimersDeleteTimer(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 0)
	tm := store.Timer{ExecutionArn: e.Arn, Ref: 4, Kind: store.TimerHeartbeat, Due: at(10)}
	must(t, "SetTimer", s.SetTimer(ctxT(t), tm))
	// The heartbeat moved after the timer loop read it: the stale fire
	// must not delete the moved timer.
	moved := tm
	moved.Due = at(70)
	must(t, "SetTimer move", s.SetTimer(ctxT(t), moved))
	must(t, "DeleteTimer stale", s.DeleteTimer(ctxT(t), tm))
	if got := timersOf(t, s, e.Arn); len(got) != 1 {
		t.Fatalf("a stale DeleteTimer removed the moved timer: %+v", got)
	}
	must(t, "DeleteTimer", s.DeleteTimer(ctxT(t), moved))
	if got := timersOf(t, s, e.Arn); len(got) != 0 {
		t.Fatalf("timers after DeleteTimer = %+v", got)
	}
	must(t, "DeleteTimer again", s.DeleteTimer(ctxT(t), moved))
	if _, ok, err := s.NextTimer(ctxT(t), store.NextTimerParams{}); err != nil || ok {
		t.Errorf("NextTimer after deleting all = %v, %v", ok, err)
	}
}

func testTimersSetTimer(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 0)
	hb := store.Timer{ExecutionArn: e.Arn, Ref: 4, Kind: store.TimerHeartbeat, Due: at(10)}
	must(t, "SetTimer", s.SetTimer(ctxT(t), hb))
	must(t, "SetTimer task", s.SetTimer(ctxT(t), store.Timer{ExecutionArn: e.Arn, Ref: 4, Kind: store.TimerTask, Due: at(300)}))
	hb.Due = at(40)
	must(t, "SetTimer move", s.SetTimer(ctxT(t), hb))
	got := timersOf(t, s, e.Arn)
	if len(got) != 2 || got[0].Kind != store.TimerHeartbeat || got[1].Kind != store.TimerTask {
		t.Fatalf("timers = %+v", got)
	}
	checkTime(t, "moved heartbeat", got[0].Due, at(40))
	next, _, err := s.NextTimer(ctxT(t), store.NextTimerParams{})
	must(t, "NextTimer", err)
	checkTime(t, "NextTimer", next, at(40))
}

// testTimersSetTimerUnknownExecution sets a timer of an execution that
// does not exist, and of one that has ended (a heartbeat racing the end).
func testTimersSetTimerUnknownExecution(t *testing.T, s store.Store) {
	err := s.SetTimer(ctxT(t), store.Timer{ExecutionArn: "arn:nope", Ref: 1, Kind: store.TimerHeartbeat, Due: at(10)})
	checkErr(t, "SetTimer of an unknown execution", err, store.ErrNotFound)
	if _, ok, err := s.NextTimer(ctxT(t), store.NextTimerParams{}); err != nil || ok {
		t.Errorf("NextTimer after the refused SetTimer = %v, %v", ok, err)
	}
	e := start(t, s, "x", at(0), 0)
	end(t, s, e, 1, "SUCCEEDED", at(1))
	must(t, "SetTimer of an ended execution", s.SetTimer(ctxT(t), store.Timer{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerHeartbeat, Due: at(10)}))
	if tms := timersOf(t, s, e.Arn); len(tms) != 1 {
		t.Errorf("timers of the ended execution = %+v, want the one set", tms)
	}
}
