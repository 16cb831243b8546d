package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/statecraft/statecraft/retention"
)

// Retention settings of `statecraft server`.
const (
	// DefaultRetention is how long AWS keeps a closed Standard execution.
	DefaultRetention = "90d"
	// DefaultRetentionInterval is how often the server looks for closed
	// executions past the retention period. A look that finds none costs
	// one indexed query.
	DefaultRetentionInterval = "1m"

	minRetention         = time.Second
	minRetentionInterval = 100 * time.Millisecond
)

// parseDays reads a duration as Go writes them ("36h", "90m", "2s") or as
// whole days ("90d"), which Go's parser lacks and retention periods want.
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days < 0 || days > int64(time.Duration(1<<63-1)/(24*time.Hour)) {
			return 0, fmt.Errorf("not a whole number of days")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// ParseRetention reads the --retention setting: how long a closed
// execution is kept before it is purged with its history. "0" keeps them
// for ever (no purging, as before the setting existed), rather than
// purging at once: an execution that vanished as it ended could not even
// be described by the client that started it.
func ParseRetention(s string) (time.Duration, error) {
	d, err := parseDays(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, fmt.Errorf("retention %q: %v; use a duration such as 90d, 36h or 30m, or 0 to keep closed executions for ever", s, err)
	case d < 0:
		return 0, fmt.Errorf("retention %q: must not be negative (0 keeps closed executions for ever)", s)
	case d > 0 && d < minRetention:
		return 0, fmt.Errorf("retention %q: must be at least %v, or 0 to keep closed executions for ever", s, minRetention)
	}
	return d, nil
}

// ParseRetentionInterval reads the --retention-interval setting: the time
// between two looks for closed executions past the retention period.
func ParseRetentionInterval(s string) (time.Duration, error) {
	d, err := parseDays(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, fmt.Errorf("retention interval %q: %v; use a duration such as 1m or 10s", s, err)
	case d < minRetentionInterval:
		return 0, fmt.Errorf("retention interval %q: must be at least %v", s, minRetentionInterval)
	}
	return d, nil
}

// startRetention runs the retention loop on st until ctx is done and
// returns a channel closed when it has stopped; period 0 runs nothing.
func startRetention(ctx context.Context, st retention.Purger, period, interval time.Duration, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	if period == 0 {
		log.Info("retention off: closed executions are kept for ever")
		close(done)
		return done
	}
	log.Info("retention: closed executions are purged with their history once they have been closed for the period", "period", period, "interval", interval)
	go func() {
		defer close(done)
		if err := retention.Run(ctx, st, retention.Options{Period: period, Interval: interval, Log: log.With("component", "retention")}); err != nil {
			log.Error("retention", "err", err)
		}
	}()
	return done
}
