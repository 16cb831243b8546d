// Package engine runs executions: it is the host of the pure interpreter
// behind `statecraft server`, feeding it events and carrying out the
// commands it returns. The API asks it to start, stop and answer
// executions; it owns everything between those calls: steps, timers,
// activity dispatch, task tokens, nested executions and replay.
//
// For a STANDARD execution, every step (the input applied, the history
// events produced, the timers and tasks added or closed, the final
// status) is committed in one store transaction before anything is acted
// on, so a crash at any moment repeats no transition and loses no
// accepted execution. Tasks are delivered at least once and are
// identified by their token. On a store the engine has to itself
// (SQLite), an activity task is handed to its poller while its claim
// (ActivityStarted) is being committed; a kill before that commit leaves
// it queued, to be handed out again with the same token (dispatch.go).
//
// Executions are event-sourced: the engine keeps recently used executions
// in memory (Options.MaxLive) and rebuilds any other by replaying its
// stored inputs through the deterministic interpreter. Waits, retry
// back-offs and task timeouts are timer rows; one scheduler goroutine
// (Run) sleeps until the earliest is due, so an execution waiting for a
// year costs a row, not a goroutine. An execution left waiting on timers
// alone, the nearest 30 s or more away, leaves memory as soon as the step
// that armed them commits (it is replayed when one fires), so it costs no
// memory either; one waiting on a task or a near timer stays, for speed.
//
// EXPRESS executions run on the same interpreter in memory only, with no
// history (express.go): RunExpress for StartSyncExecution, StartExpress
// for an asynchronous start. Both kinds run every Task resource through
// the ports of package taskport (ports.go): the engine runs activities,
// callbacks and nested executions itself and hands every other resource
// to Options.Tasks (the server passes a *tasks.Invoker: local functions
// and HTTP tasks).
//
// Map Runs (maprun.go): each step stores the Map Runs and child
// executions it changed, which the API reads; UpdateMapRun is an input of
// the parent execution like any other. A child's history is rebuilt on
// request by replaying the parent (MapRunChildHistory).
//
// TestState (teststate.go) runs one state on its own for the API's
// TestState, as an EXPRESS execution would run it but stopping at its
// transition and waiting for nothing; it keeps nothing.
//
// The sequence, as `statecraft server` wires it (cli/server.go):
//
//	st, err := sqlite.Open(path, sqlite.DefaultOptions()) // any store.Store
//	eng := engine.New(st, engine.Options{Tasks: invoker})
//	go eng.Run(ctx)                                       // fires timers until ctx ends
//	in, err := engine.ParseInput(`{"name": "Ada"}`)       // errors.Is(err, ErrInvalidInput) for bad JSON
//	rec, err := eng.StartExecution(ctx, sm, "run-1", in, "") // sm: the stored *store.StateMachine
//	<-eng.Done(ctx, rec.Arn)                              // closed when it has ended
//	rec, err = st.GetExecution(ctx, rec.Arn)              // Status, Output, Error, Cause
//
// An activity worker's side is GetActivityTask, then SendTaskSuccess,
// SendTaskFailure or SendTaskHeartbeat with the task's token;
// StopExecution aborts; RedriveExecution (redrive.go) reruns what did not
// succeed of an execution that ended, as one more stored input. The errors the API turns into Step Functions
// errors are the Err variables.
package engine
