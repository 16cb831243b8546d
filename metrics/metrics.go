// Package metrics serves Statecraft's Prometheus metrics, mounted at
// GET /metrics by `statecraft server` (text exposition format, or the
// protobuf / OpenMetrics formats when a scraper asks for them).
//
// Statecraft's own metrics:
//
//	statecraft_activity_pollers_waiting{activity="<arn>"}  gauge
//	    GetActivityTask long polls waiting for a task of the activity right
//	    now: calls that found no task and have not returned yet. Workers
//	    whose poll is being handed a task are not counted.
//	statecraft_activity_tasks_queued{activity="<arn>"}     gauge
//	    Activity tasks scheduled and not yet claimed by a worker, read from
//	    the store at scrape time (store.Store.QueuedTasks). A task claimed
//	    by a worker leaves the queue; one whose worker went away while it
//	    was being handed over joins it again.
//	statecraft_executions_started_total                     counter
//	    Executions this process started (nested executions included;
//	    a StartExecution answered with the execution already running is no
//	    new start).
//	statecraft_executions_finished_total{status}            counter
//	    Executions this process ended, by final status: SUCCEEDED, FAILED,
//	    TIMED_OUT or ABORTED (all four are always exported).
//	statecraft_state_transitions_total                      counter
//	    States entered: one per *StateEntered history event committed,
//	    states inside Parallel branches and Map iterations included. Unlike
//	    AWS's billing count, a Task retried is entered (and counted) once.
//	statecraft_billed_state_transitions_total{account,state_machine}  counter
//	    State transitions as AWS Step Functions bills them (states entered,
//	    retries included; package cost), committed by this process, per
//	    state machine ARN and its account.
//	statecraft_billed_cost_usd_total{account,state_machine}            counter
//	    Those transitions at the price table's standardPerTransition (AWS
//	    list price; package cost), in US dollars. Lambda functions' cost is
//	    not in it: `statecraft cost` and the console add it from history.
//
// The two billed counters have one series per state machine that ran
// since this process started (and per account: the account is the ARN's,
// so it adds no series). Their cardinality is the number of state
// machines: fine for hundreds or a few thousand, not for a tenant per
// state machine by the hundred thousand.
//
// Both activity gauges have a series for every activity that exists
// (0 when there is nothing to count), plus any other ARN that has a count
// (tasks of an activity deleted meanwhile, a poll on an unknown ARN).
// The counters count STANDARD executions, which run on the engine, since
// this process started; EXPRESS executions run in the engine's memory,
// keep nothing, and are not counted. With several server processes on one shared store each
// exports its own counters and pollers, and every one the same queue.
//
// Besides these, the Go runtime (go_*) and process (process_*)
// collectors of github.com/prometheus/client_golang are registered.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/cost"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
)

// Path is where `statecraft server` mounts the handler.
const Path = "/metrics"

// Statuses are the final statuses statecraft_executions_finished_total
// always has a series for.
var Statuses = []string{"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

// Engine is what the collector reads from the engine (*engine.Engine).
type Engine interface {
	Stats() engine.Stats
}

// Options configure the handler.
type Options struct {
	// Timeout bounds the store reads of one scrape; 0 means 5s.
	Timeout time.Duration
	Log     *slog.Logger
	// Prices prices the billed transitions; nil means cost.Default().
	Prices *cost.Prices
}

var (
	descPollers = prometheus.NewDesc("statecraft_activity_pollers_waiting",
		"GetActivityTask long polls currently waiting for a task of the activity.", []string{"activity"}, nil)
	descQueued = prometheus.NewDesc("statecraft_activity_tasks_queued",
		"Activity tasks scheduled and not yet claimed by a worker (read from the store at scrape time).", []string{"activity"}, nil)
	descStarted = prometheus.NewDesc("statecraft_executions_started_total",
		"Executions started by this process.", nil, nil)
	descFinished = prometheus.NewDesc("statecraft_executions_finished_total",
		"Executions ended by this process, by final status.", []string{"status"}, nil)
	descTransitions = prometheus.NewDesc("statecraft_state_transitions_total",
		"States entered (StateEntered history events) by executions of this process.", nil, nil)
	descBilled = prometheus.NewDesc("statecraft_billed_state_transitions_total",
		"State transitions as AWS Step Functions bills them (retries included), committed by this process.", []string{"account", "state_machine"}, nil)
	descBilledUSD = prometheus.NewDesc("statecraft_billed_cost_usd_total",
		"Billed state transitions at the price table's list price per transition, in USD.", []string{"account", "state_machine"}, nil)
	descShards = prometheus.NewDesc("statecraft_shards_held",
		"Shards whose lease this node holds (only on a store several nodes share).", []string{"node"}, nil)
)

// Collector exports the engine's counters and the store's activity
// queues. Register it with a prometheus.Registerer, or use Handler.
type Collector struct {
	eng     Engine
	st      store.Store
	timeout time.Duration
	log     *slog.Logger
	prices  cost.Prices
}

// NewCollector returns the collector of Statecraft's own metrics.
func NewCollector(eng Engine, st store.Store, opts Options) *Collector {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	prices := cost.Default()
	if opts.Prices != nil {
		prices = *opts.Prices
	}
	return &Collector{eng: eng, st: st, timeout: opts.Timeout, log: opts.Log, prices: prices}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPollers
	ch <- descQueued
	ch <- descStarted
	ch <- descFinished
	ch <- descTransitions
	ch <- descBilled
	ch <- descBilledUSD
	ch <- descShards
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.eng.Stats()
	ch <- prometheus.MustNewConstMetric(descStarted, prometheus.CounterValue, float64(s.ExecutionsStarted))
	ch <- prometheus.MustNewConstMetric(descTransitions, prometheus.CounterValue, float64(s.StateTransitions))
	for sm, n := range s.BilledTransitions {
		account := ""
		if a, err := arn.Parse(sm); err == nil {
			account = a.Account
		}
		ch <- prometheus.MustNewConstMetric(descBilled, prometheus.CounterValue, float64(n), account, sm)
		ch <- prometheus.MustNewConstMetric(descBilledUSD, prometheus.CounterValue, c.prices.Standard(n), account, sm)
	}
	if s.Node != "" {
		ch <- prometheus.MustNewConstMetric(descShards, prometheus.GaugeValue, float64(s.ShardsHeld), s.Node)
	}
	finished := map[string]int64{}
	for _, st := range Statuses {
		finished[st] = 0
	}
	for st, n := range s.ExecutionsFinished {
		finished[st] = n
	}
	for st, n := range finished {
		ch <- prometheus.MustNewConstMetric(descFinished, prometheus.CounterValue, float64(n), st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	queued, err := c.st.QueuedTasks(ctx)
	if err != nil {
		c.log.Warn("metrics: counting queued tasks", "err", err)
		ch <- prometheus.NewInvalidMetric(descQueued, err)
		queued = nil
	}
	arns := map[string]bool{}
	if err := c.activities(ctx, arns); err != nil {
		// The series of idle activities are missing from this scrape;
		// what has a count is still exported.
		c.log.Warn("metrics: listing activities", "err", err)
	}
	for arn := range queued {
		arns[arn] = true
	}
	for arn := range s.PollersWaiting {
		arns[arn] = true
	}
	for arn := range arns {
		ch <- prometheus.MustNewConstMetric(descPollers, prometheus.GaugeValue, float64(s.PollersWaiting[arn]), arn)
		if queued != nil {
			ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(queued[arn]), arn)
		}
	}
}

// activities adds every activity's ARN to arns.
func (c *Collector) activities(ctx context.Context, arns map[string]bool) error {
	token := ""
	for {
		page, next, err := c.st.ListActivities(ctx, store.ListParams{Limit: 1000, Token: token})
		if err != nil {
			return err
		}
		for _, a := range page {
			arns[a.Arn] = true
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// NewRegistry returns a registry with Statecraft's collector and the Go
// runtime and process collectors.
func NewRegistry(eng Engine, st store.Store, opts Options) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(eng, st, opts),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves the metrics of NewRegistry. A store error fails only the
// metric it feeds: the rest of the scrape is still served.
func Handler(eng Engine, st store.Store, opts Options) http.Handler {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	reg := NewRegistry(eng, st, opts)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg, // promhttp_metric_handler_errors_total
	})
}
