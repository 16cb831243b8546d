// Package interp is the pure step function at the heart of Statecraft:
// given a parsed definition, an execution's state and one input event (a
// task finished, a timer fired, a stop was requested), it advances the
// execution as far as it can without outside help and returns the
// commands to carry out (run a task, start a timer, cancel one). It reads
// no clock, starts no goroutine and does no I/O: time and randomness
// arrive with the events. The same events with the same seeds therefore
// give the same execution, event for event, which is what makes tests
// exact, lets the engine rebuild an execution by replaying its stored
// inputs, and lets the engine (STANDARD and EXPRESS executions), the
// in-process runner of `statecraft run` and the conformance suite share
// this code.
//
// The package owns the semantics of every state type: input and output
// processing in both query languages, the context object, variables,
// Retry and Catch, Parallel branches and Map iterations (as frames of one
// execution, not goroutines), the payload and history limits, and the
// history events in the shape GetExecutionHistory returns. What a Task
// does, when a timer is due and where anything is stored belong to the
// host.
//
// A host's sequence:
//
//	sm, _ := asl.Parse(doc)                            // validated first: see package asl
//	m := interp.New(sm, interp.Options{History: true}) // once per definition; safe for concurrent use
//	x, cmds := m.Start(info, now, seed)                // info: the execution's ARNs, name and input
//	for x.Status == interp.Running {
//		// Store the events of the step, x.History, and then, keeping
//		// none of them, hand them back so their memory is reused:
//		x.ClearHistory()                           // optional
//		// Carry out cmds: a RunTask names a Ref and a *Task, a
//		// StartTimer a Ref and a due time, a Cancel a Ref to forget.
//		// When something happens, report it:
//		cmds = x.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: ref, Time: now, Output: result})
//	}
//	// x.Status, x.Output (or x.Error and x.Cause), x.History
//	x.Release()                                        // optional: m reuses x's memory; what x handed out stays valid
//
// Apply ignores an event about a Ref nothing waits for (a cancelled task,
// a timer that was superseded), so a host may deliver events at least
// once. An Execution is not safe for concurrent use: its host applies one
// event at a time. A host done with an execution (it will not redrive it)
// releases it: for short executions the Execution itself is most of what
// an execution allocates, and runner and the engine's EXPRESS executions
// release theirs. See package runner for a complete in-process host and
// package engine for the durable one.
//
// A Distributed Map's Map Run (maprun.go) is kept as DescribeMapRun shows
// it; with history on, the changes of each step are there for the host
// to take (TakeMapRunChanges) and store with the step, and the
// UpdateMapRun event changes a running Map Run's limits; a Redrive reopens
// a failed one. Its children run as frames of the execution and record no
// events; Machine.StartWatching replays an execution recording one child's
// own history instead (childhistory.go), for GetExecutionHistory of a
// child.
//
// HISTORY.md writes down, class by class, the order and previousEventId
// rules the history events follow, with the recorded AWS histories they
// come from.
//
// New plans the definition's states once (plan.go): each state's
// successors by pointer, and for the states that need nothing else (a
// Pass with a Result placed at a field or with Parameters made of
// literals and input fields, a Choice without Assign, a Succeed, none of
// them with InputPath or OutputPath) a short path that enter takes when
// the frame is not silent and not under test, recording the state's
// events when the execution keeps history.
// TestPlannedStatesMatchGeneralPath holds the two paths to the same
// executions and the same events. With history on, a value's JSON text is
// reused across a state boundary when the same object passes on unchanged
// (memoText: the events share the text), a Pass state that adds its
// Result as a new field renders its output's text from its input's
// (exitedAdded), one with Parameters from parts of the text encoded once
// per Machine (paramsText), and the texts are rendered into a
// per-execution arena that is only ever appended to (render). Details and
// texts are handed out of per-execution buffers (histBufs), written again
// only once the host hands the events back (ClearHistory): by the
// execution's next events, or, after Release, by a later execution's.
//
// Machine.TestState runs one state on its own, as the TestState API does
// (teststate.go): through the same code, stopping at the state's
// transition and keeping what it computed on the way.
package interp
