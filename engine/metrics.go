package engine

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statecraft/statecraft/store"
)

// counters are the engine's own running totals, for monitoring (package
// metrics exports them in the Prometheus format). They count what this
// process did since it started; nothing here is persisted.
type counters struct {
	started     atomic.Int64 // executions started
	transitions atomic.Int64 // states entered

	mu       sync.Mutex
	billed   map[string]int64 // state machine ARN -> billed transitions committed
	finished map[string]int64 // executions ended, by final status
	pollers  map[string]int64 // activity ARN -> GetActivityTask calls waiting now
}

// Stats is a snapshot of the engine's counters since the process started.
// They count STANDARD executions only: EXPRESS executions, which run in
// memory and record no history, are in none of these counts.
type Stats struct {
	// ExecutionsStarted counts executions started (nested ones included);
	// a StartExecution answered with an execution already running is not
	// a new start.
	ExecutionsStarted int64
	// ExecutionsFinished counts executions that ended, by final status
	// (SUCCEEDED, FAILED, TIMED_OUT, ABORTED).
	ExecutionsFinished map[string]int64
	// StateTransitions counts states entered: one per *StateEntered
	// history event committed (states inside Parallel branches and Map
	// iterations included; a retried Task is entered once).
	StateTransitions int64
	// BilledTransitions counts, per state machine ARN, the state
	// transitions AWS would bill (retries included) that this process
	// committed: the growth of the executions' stored counts.
	BilledTransitions map[string]int64
	// PollersWaiting is, per activity ARN, how many GetActivityTask long
	// polls are waiting for a task right now (have found none and not yet
	// returned). Activities that had pollers once keep an entry, at 0.
	PollersWaiting map[string]int64
	// Node is this engine's node ID when its store is shared by several
	// nodes ("" otherwise), and ShardsHeld the shards it holds now.
	Node       string
	ShardsHeld int
}

// Stats returns a snapshot of the engine's counters.
func (e *Engine) Stats() Stats {
	c := &e.counters
	s := Stats{
		ExecutionsStarted:  c.started.Load(),
		StateTransitions:   c.transitions.Load(),
		ExecutionsFinished: map[string]int64{},
		PollersWaiting:     map[string]int64{},
		BilledTransitions:  map[string]int64{},
	}
	if e.cl != nil {
		s.Node, s.ShardsHeld = e.cl.node, len(e.cl.leases(time.Now()))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.finished {
		s.ExecutionsFinished[k] = v
	}
	for k, v := range c.pollers {
		s.PollersWaiting[k] = v
	}
	for k, v := range c.billed {
		s.BilledTransitions[k] = v
	}
	return s
}

// pollerWaiting adds d to the number of pollers waiting for activityArn.
func (e *Engine) pollerWaiting(activityArn string, d int64) {
	c := &e.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pollers == nil {
		c.pollers = map[string]int64{}
	}
	c.pollers[activityArn] += d
}

// countStep counts what a committed step did: the states it entered and,
// when it ended the execution, the final status.
func (e *Engine) countStep(l *live, step *store.StepParams) {
	c := &e.counters
	if n := step.Transitions - l.billed; n > 0 {
		l.billed = step.Transitions
		c.mu.Lock()
		if c.billed == nil {
			c.billed = map[string]int64{}
		}
		c.billed[l.sm] += n
		c.mu.Unlock()
	}
	var entered int64
	for i := range step.Events {
		if strings.HasSuffix(step.Events[i].Type, "StateEntered") {
			entered++
		}
	}
	if entered > 0 {
		c.transitions.Add(entered)
	}
	if step.Final != nil {
		c.mu.Lock()
		if c.finished == nil {
			c.finished = map[string]int64{}
		}
		c.finished[step.Final.Status]++
		c.mu.Unlock()
	}
}
