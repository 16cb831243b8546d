package engine

import (
	"context"
	"errors"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/taskport"
)

// Activity dispatch. A task is claimed by one commit that both claims its
// row and records ActivityStarted, so it is never recorded as started
// without being handed out.
//
// Delivery is at least once, Step Functions' contract for activity tasks.
// On a store this node has to itself (SQLite), a task is handed to its
// poller as soon as the claim's step is built, while the commit runs
// (claim): a poller need not wait for an fsync. Until that commit
// has ended the task stays claimed on this node (e.claiming), so no other
// poller is handed it, and the worker's answer or heartbeat waits for the
// commit. If the commit never lands (the process dies first) or fails,
// the task is still queued: it is handed out again with the same token,
// and an answer from the first worker records the missing ActivityStarted
// before its result (startHandedOut). Without a crash or a failed commit
// each task goes to one worker exactly once (TestDispatchStressExactlyOnce).
// On a shared store a task is handed out only once its claim has
// committed: another node may be claiming the same row.
//
// Finding the task costs no store read in the common case: the step that
// queued a task hands it to the longest-waiting poller (one poller, not a
// herd racing for it) or, when none waits, keeps it as a hint for the next
// poller. The store is read only when it may hold queued tasks this node
// has no hint of: tasks queued before a restart or by another node, or
// hints dropped past maxHints. Reads on SQLite's read connections are far
// from free (each new read transaction after a write revalidates its page
// cache), which is why the hot path avoids them.
//
// An EXPRESS execution's activity task has no row: it waits in its queue's
// express list, in memory only, and a poller claims it from the live
// execution (express.go) instead of the store.

// maxHints bounds the tasks an activity queue remembers; past it the
// store is the only record and pollers read it.
const maxHints = 4096

type activityQueue struct {
	pollers []*poller     // waiting, longest first
	hints   []*store.Task // queued by this node, oldest first
	express []*store.Task // EXPRESS executions' tasks, oldest first: never dropped, the store does not have them
	// unknown is set when the store may hold queued tasks without a hint;
	// gen counts how often, so a poller's read that found nothing clears
	// it only if nothing set it again meanwhile.
	unknown bool
	gen     uint64
}

// A wake-up carries the task queued when the engine knows it.
type poller struct{ ch chan *store.Task }

// queue returns an activity's queue; e.mu must be held. A queue this node
// has not seen may have tasks in the store already.
func (e *Engine) queue(activityArn string) *activityQueue {
	q, ok := e.queues[activityArn]
	if !ok {
		q = &activityQueue{unknown: true, gen: 1}
		e.queues[activityArn] = q
	}
	return q
}

// addPoller queues a poller before it looks for a task, so a task queued
// while it looks still wakes it.
func (e *Engine) addPoller(activityArn string) *poller {
	p := &poller{ch: make(chan *store.Task, 1)}
	e.mu.Lock()
	q := e.queue(activityArn)
	q.pollers = append(q.pollers, p)
	e.mu.Unlock()
	return p
}

// removePoller takes a poller out of its queue. A wake-up it was sent but
// did not use goes to the next poller, so none is lost.
func (e *Engine) removePoller(activityArn string, p *poller) {
	e.mu.Lock()
	q := e.queue(activityArn)
	for i, x := range q.pollers {
		if x == p {
			q.pollers = append(q.pollers[:i:i], q.pollers[i+1:]...)
			e.mu.Unlock()
			return
		}
	}
	e.mu.Unlock()
	select {
	case t := <-p.ch: // woken, but leaving: pass the wake-up on
		e.notifyActivity(activityArn, t)
	default:
	}
}

// notifyActivity tells an activity's pollers that a task is queued: t when
// the engine knows it, nil when only the store does (another node's task, a
// claim that failed). It wakes the longest-waiting poller, if any, handing
// it t, and says so; otherwise t waits as a hint for the next poller.
func (e *Engine) notifyActivity(activityArn string, t *store.Task) (woken bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queue(activityArn)
	if t == nil {
		q.unknown = true
		q.gen++
	}
	if len(q.pollers) > 0 {
		q.pollers[0].ch <- t
		q.pollers = q.pollers[1:]
		return true
	}
	if t != nil {
		if isExpressArn(t.ExecutionArn) {
			q.express = append(q.express, t)
			return false
		}
		if len(q.hints) < maxHints {
			q.hints = append(q.hints, t)
		} else {
			q.unknown = true
			q.gen++
		}
	}
	return false
}

// pollTick is when a poller waiting on a shared store reads it again,
// whether or not a notification came; nil (never) on a store of one node,
// where every task is queued by this node and wakes its pollers.
func (e *Engine) pollTick() <-chan time.Time {
	if e.cl == nil {
		return nil
	}
	return time.After(e.opts.PollInterval)
}

// GetActivityTask long-polls for a task of an activity for up to wait. It
// returns nil, nil when none arrived. A task handed out is recorded as
// ActivityStarted, in the same commit that claims it, before it is
// returned.
func (e *Engine) GetActivityTask(ctx context.Context, activityArn, worker string, wait time.Duration) (*store.Task, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	var offered *store.Task
	for {
		p := e.addPoller(activityArn)
		var t *store.Task
		var err error
		if offered != nil && e.claim(ctx, offered, worker) == nil {
			t = offered
		} else {
			t, err = e.claimNext(ctx, activityArn, worker)
		}
		if t != nil || err != nil {
			e.removePoller(activityArn, p)
			if t != nil && ctx.Err() != nil {
				// The poller has gone: nobody else would ever be given
				// this task.
				e.release(t)
				return nil, nil
			}
			return t, err
		}
		e.pollerWaiting(activityArn, 1) // counted for Stats while it waits
		woken := false
		select {
		case offered = <-p.ch:
			woken = true
		case <-e.pollTick():
			// Another node may have queued a task whose notification was
			// lost: look in the store.
			e.mu.Lock()
			q := e.queue(activityArn)
			q.unknown = true
			q.gen++
			e.mu.Unlock()
			e.removePoller(activityArn, p)
			offered, woken = nil, true
		case <-deadline.C:
		case <-ctx.Done():
		case <-e.stopping:
		}
		e.pollerWaiting(activityArn, -1)
		if !woken {
			e.removePoller(activityArn, p)
			return nil, nil
		}
	}
}

// claimNext claims the oldest task of an activity this node has a hint of
// or, when the store may hold others, the oldest queued there that no
// other poller of this node is claiming; nil when there is none.
func (e *Engine) claimNext(ctx context.Context, activityArn, worker string) (*store.Task, error) {
	for {
		e.mu.Lock()
		q := e.queue(activityArn)
		var hint *store.Task
		switch {
		case len(q.express) > 0:
			hint = q.express[0]
			q.express[0] = nil
			q.express = q.express[1:]
		case len(q.hints) > 0:
			hint = q.hints[0]
			q.hints[0] = nil
			q.hints = q.hints[1:]
		}
		unknown, gen, limit := q.unknown, q.gen, 1+len(e.claiming)
		e.mu.Unlock()
		if hint != nil {
			err := e.claim(ctx, hint, worker)
			if err == nil {
				return hint, nil
			}
			if !errors.Is(err, errBeingClaimed) && !errors.Is(err, errNotClaimed) {
				return nil, err
			}
			continue // a stale hint: the task is another poller's, or gone
		}
		if !unknown {
			return nil, nil
		}
		return e.claimFromStore(ctx, activityArn, worker, gen, limit)
	}
}

// claimFromStore reads the oldest queued tasks of an activity from the
// store and claims the first that no other poller of this node is at.
func (e *Engine) claimFromStore(ctx context.Context, activityArn, worker string, gen uint64, limit int) (*store.Task, error) {
	next, err := e.st.NextTasks(ctx, store.NextTasksParams{ActivityArn: activityArn, Limit: limit})
	if err != nil {
		return nil, err
	}
	if len(next) == 0 {
		e.mu.Lock()
		if q := e.queue(activityArn); q.gen == gen {
			q.unknown = false
		}
		e.mu.Unlock()
		return nil, nil
	}
	for _, t := range next {
		err := e.claim(ctx, t, worker)
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, errBeingClaimed) && !errors.Is(err, errNotClaimed) {
			return nil, err
		}
	}
	// All being claimed here or gone: whoever holds them wakes a poller
	// if a claim fails.
	return nil, nil
}

var (
	errBeingClaimed = errors.New("engine: task being claimed by another poller")
	errNotClaimed   = errors.New("engine: task not claimable")
)

// claim hands t to worker: it records ActivityStarted and claims the task
// in one commit. errBeingClaimed: another poller of this node is at it;
// errNotClaimed: the task has gone or was claimed elsewhere.
//
// On a store of one node (no e.cl) the poller builds the claim's step
// itself, under the execution's lock, and returns the task to its worker
// at once, leaving the commit (the next group commit on SQLite) to a
// goroutine: the worker's answer is not behind an fsync, nor behind the
// committer's work, which a poller woken by the committing goroutine
// would otherwise wait for on the same core. Nothing on this node can
// claim the task meanwhile: its token stays in e.claiming until the
// commit has ended, and every claim path (hints, store reads,
// notifications) goes through startClaim. The execution stays locked until
// then, and an answer or heartbeat for the token waits for the claim
// (awaitClaim), so the worker's SendTaskSuccess is applied after
// ActivityStarted, as the one writer commits them. On a store that queues
// steps (store.StepQueue: SQLite, memstore) the claim's step is instead
// queued and applied to the copy at once, and the execution unlocked
// (queueClaim): the worker's answer is built on top of it and queued
// right behind it (complete), without waiting for its commit, and the
// store refuses the answer if the claim was not applied; the answer then
// takes the path above. Should the commit never
// happen (the process dies first) or fail, the task row is still queued,
// unclaimed: it is handed out again, with the same token, and whichever
// worker answers first completes it; the other's answer is refused as
// for a closed task (TaskTimedOut). That is at-least-once delivery, Step
// Functions' own contract for activity tasks.
//
// Only a step built from a copy of the execution known to be current is
// handed out before its commit: a copy this process started (exact) and
// still keeps, every step of the execution having gone through it, under
// its lock. A copy replayed from the store may be behind a step an
// evicted copy is still committing; its claim would then conflict after
// the task was handed out, so its poller waits for the commit.
//
// On a shared store (e.cl set) the claim commits first: another node may
// claim the same row, and only the commit tells which node has it.
func (e *Engine) claim(ctx context.Context, t *store.Task, worker string) error {
	if isExpressArn(t.ExecutionArn) {
		return e.claimExpress(t, worker)
	}
	pc := e.startClaim(t.Token)
	if pc == nil {
		return errBeingClaimed
	}
	// The claim is not the poller's to cancel: once committed the task is
	// recorded as started, and a poller gone meanwhile hands it back.
	cctx := context.WithoutCancel(ctx)
	arn, token, activityArn := t.ExecutionArn, t.Token, t.ActivityArn
	ev := interp.Event{Kind: interp.TaskStarted, Ref: t.Ref, WorkerName: worker}
	c := &store.TaskClaim{Token: token, WorkerName: worker}
	handed := false
	// ended ends the claim once its commit has: only now may another
	// poller of this node claim the task, the store saying whether it is
	// claimed (committed) or still queued (failed). endClaim comes before
	// claimed's wake-up, which would otherwise find the task still being
	// claimed and be lost.
	ended := func(err error) error {
		e.endClaim(token, pc)
		if err != nil && handed && !errors.Is(err, errNotRunning) && !errors.Is(err, ErrExecutionDoesNotExist) {
			// Not expected on a store of one node, which owns the
			// execution: worth a line in the log.
			e.log.Warn("a task handed out was not recorded as started; if still queued it is handed out again", "execution", arn, "token", token, "err", err)
		}
		return e.claimed(activityArn, err)
	}
	var out handOut
	if e.handsOutEarly() {
		out = func(l *live, commit func() error) error {
			e.mu.Lock() // evict marks a copy gone under e.mu
			current := l.exact && !l.gone
			e.mu.Unlock()
			if !current {
				return commit()
			}
			handed = true
			go func() {
				err := commit()
				if errors.Is(err, store.ErrConflict) {
					// What apply would have tried next; the task stays
					// handed out.
					err = e.apply(cctx, arn, ev, c)
				}
				ended(err)
			}()
			return nil
		}
	}
	err := e.applyTries(cctx, arn, ev, c, store.Fence{}, out)
	if handed {
		// The commit is the goroutine's; the task is the worker's.
		t.Started, t.WorkerName = true, worker
		return nil
	}
	if err = ended(err); err == nil {
		t.Started, t.WorkerName = true, worker
	}
	return err
}

// handsOutEarly tells whether this node may hand a task out before its
// claim commits: only on a store it has to itself. A store that can
// notify other nodes (PostgreSQL) may be shared by engines that are not a
// store.Cluster's nodes, and only the commit tells whether another node
// has moved the execution on.
func (e *Engine) handsOutEarly() bool {
	_, shared := e.st.(store.Notifier)
	return e.cl == nil && !shared
}

// claimed maps the outcome of a claim's step to claim's errors, waking
// the pollers when the task may still be queued.
func (e *Engine) claimed(activityArn string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotRunning), errors.Is(err, ErrExecutionDoesNotExist):
		return errNotClaimed // the execution ended meanwhile: its tasks are closed
	case errors.Is(err, store.ErrConflict), errors.Is(err, errIgnored):
		// Claimed elsewhere, closed, or this node's copy was behind. If
		// it is still queued, pollers that skipped it while it was being
		// claimed may be asleep: make them look.
		e.notifyActivity(activityArn, nil)
		return errNotClaimed
	default:
		e.notifyActivity(activityArn, nil) // still queued: let another poller try
		return err
	}
}

// pendingClaim is a claim one of this node's pollers is making, from
// startClaim until its commit has ended (endClaim).
type pendingClaim struct {
	done chan struct{} // closed by endClaim
}

// startClaim marks a task as being claimed by one of this node's pollers;
// nil when another already is.
func (e *Engine) startClaim(token string) *pendingClaim {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.claiming[token] != nil {
		return nil
	}
	pc := &pendingClaim{done: make(chan struct{})}
	e.claiming[token] = pc
	return pc
}

// endClaim ends a claim attempt, once its commit has ended.
func (e *Engine) endClaim(token string, pc *pendingClaim) {
	e.mu.Lock()
	if e.claiming[token] == pc {
		delete(e.claiming, token)
	}
	e.mu.Unlock()
	close(pc.done)
}

// awaitClaim waits until a claim of token this node is making has
// committed (or failed): a worker's answer or heartbeat for a task handed
// out before its claim committed then comes after ActivityStarted.
func (e *Engine) awaitClaim(token string) {
	e.mu.Lock()
	pc := e.claiming[token]
	e.mu.Unlock()
	if pc != nil {
		<-pc.done
	}
}

// awaitClaims waits for the claims being made when it is called: the
// engine stops with no claim's commit left running on its own.
func (e *Engine) awaitClaims() {
	e.mu.Lock()
	pending := make([]*pendingClaim, 0, len(e.claiming))
	for _, pc := range e.claiming {
		pending = append(pending, pc)
	}
	e.mu.Unlock()
	for _, pc := range pending {
		<-pc.done
	}
}

// queueActivity is the port of activities for EXPRESS executions: it puts
// the task in its activity's queue, where GetActivityTask finds it, and
// the worker answers with the token. A STANDARD execution's activity task
// is queued by the commit of its row instead (finishStep), without a call.
func (e *Engine) queueActivity(_ context.Context, req taskport.Request) (any, error) {
	_, ref, _ := parseToken(req.Token)
	e.notifyActivity(req.Resource, &store.Task{
		Token:            req.Token,
		ExecutionArn:     req.ExecutionArn,
		Ref:              ref,
		ActivityArn:      req.Resource,
		Input:            jsonv.String(req.Input),
		HeartbeatSeconds: int64(req.Heartbeat / time.Second),
		CreatedAt:        e.now(),
	})
	return nil, errPending
}

// dropExpressActivity takes an EXPRESS execution's task out of its queue:
// the task has ended unclaimed.
func (e *Engine) dropExpressActivity(activityArn, token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queue(activityArn)
	for i, t := range q.express {
		if t.Token == token {
			q.express = append(q.express[:i:i], q.express[i+1:]...)
			return
		}
	}
}

// claimExpress hands an EXPRESS execution's task to worker, if it is still
// open and unclaimed: ActivityStarted is applied, in memory.
func (e *Engine) claimExpress(t *store.Task, worker string) error {
	e.mu.Lock()
	r := e.express[t.ExecutionArn]
	e.mu.Unlock()
	if r == nil {
		return errNotClaimed
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	task, ok := r.tasks[t.Ref]
	if !ok || task.token != t.Token || task.claimed {
		return errNotClaimed
	}
	task.claimed = true
	if err := r.applyLocked(interp.Event{Kind: interp.TaskStarted, Ref: t.Ref, WorkerName: worker}); err != nil {
		return errNotClaimed
	}
	t.Started, t.WorkerName = true, worker
	return nil
}

// releaseExpress puts a claimed EXPRESS task back in its queue.
func (e *Engine) releaseExpress(t *store.Task) {
	e.mu.Lock()
	r := e.express[t.ExecutionArn]
	e.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	task, ok := r.tasks[t.Ref]
	if !ok || !task.claimed {
		return
	}
	task.claimed = false
	back := *t
	back.Started, back.WorkerName = false, ""
	e.notifyActivity(t.ActivityArn, &back)
}
