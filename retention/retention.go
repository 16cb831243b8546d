// Package retention purges closed executions once they have been closed
// for longer than a retention period, as AWS keeps a closed Standard
// execution for 90 days and then forgets it.
//
// The loop is its own package rather than part of the engine because it
// needs nothing of the engine: it reads no execution and runs none, only
// asks the store to delete what has aged out. The store decides which
// executions may go (never a running one, nor a child its parent still
// waits on); the loop decides when, and how much at a time.
//
// A pass purges in batches (Options.Batch executions per call) and
// pauses between them, so that the steps of live executions, which share
// the store's single writer with the purge, never wait behind more than
// one batch.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Defaults for the zero fields of Options.
const (
	DefaultInterval = time.Minute
	DefaultBatch    = 200
	DefaultPause    = 10 * time.Millisecond
)

// Purger is the part of a store.Store the loop uses.
type Purger interface {
	PurgeExecutions(ctx context.Context, p store.PurgeParams) (int, error)
}

// Options configure the loop.
type Options struct {
	// Period is how long a closed execution is kept: one that ended longer
	// ago than this is purged. It must be positive.
	Period time.Duration
	// Interval is the time between two passes; 0 means DefaultInterval.
	Interval time.Duration
	// Batch is how many executions one call to the store purges; 0 means
	// DefaultBatch.
	Batch int
	// Pause is the time between two batches of a pass; 0 means
	// DefaultPause.
	Pause time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log gets a line per pass that purged something, and errors; nil
	// discards.
	Log *slog.Logger
}

func (o *Options) fill() error {
	switch {
	case o.Period <= 0:
		return fmt.Errorf("retention: period %v: must be positive", o.Period)
	case o.Interval < 0:
		return fmt.Errorf("retention: interval %v: must not be negative", o.Interval)
	case o.Batch < 0:
		return fmt.Errorf("retention: batch %d: must not be negative", o.Batch)
	case o.Pause < 0:
		return fmt.Errorf("retention: pause %v: must not be negative", o.Pause)
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	if o.Pause == 0 {
		o.Pause = DefaultPause
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run purges at once and then every Interval until ctx is done, when it
// returns nil. A pass that fails is logged and the next one tries again;
// only invalid Options make Run return an error, before it purges
// anything.
func Run(ctx context.Context, p Purger, o Options) error {
	if err := o.fill(); err != nil {
		return err
	}
	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for {
		began := o.Now()
		cutoff := began.Add(-o.Period)
		n, err := pass(ctx, p, o, cutoff)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			o.Log.Error("purging closed executions", "err", err, "purged", n)
		case n > 0:
			o.Log.Info("purged closed executions", "count", n, "stoppedBefore", cutoff.UTC().Format(time.RFC3339), "took", o.Now().Sub(began).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Pass purges, batch after batch, every execution the store lets go that
// ended more than Period before now, and returns how many. It stops early,
// with ctx's error, when ctx is done.
func Pass(ctx context.Context, p Purger, o Options) (int, error) {
	if err := o.fill(); err != nil {
		return 0, err
	}
	return pass(ctx, p, o, o.Now().Add(-o.Period))
}

func pass(ctx context.Context, p Purger, o Options, cutoff time.Time) (int, error) {
	total := 0
	pause := time.NewTimer(0)
	defer pause.Stop()
	<-pause.C
	for {
		n, err := p.PurgeExecutions(ctx, store.PurgeParams{StoppedBefore: cutoff, Limit: o.Batch})
		total += n
		if err != nil {
			return total, err
		}
		if n < o.Batch {
			return total, nil // the rest are younger, running or waited on
		}
		// Let the steps queued behind this batch commit before the next.
		pause.Reset(o.Pause)
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-pause.C:
		}
	}
}
