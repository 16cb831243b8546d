package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/statecraft/statecraft/cost"
)

// CostOptions are the flags of `statecraft cost`.
type CostOptions struct {
	Endpoint     string
	Region       string // the region requests are signed for
	Since, Until string // RFC 3339 times, or dates (YYYY-MM-DD, midnight UTC)
	StateMachine string
	Execution    string
	AllAccounts  bool
	JSON         bool // print the report as the server answered it
}

// DefaultCostOptions are the server's own defaults.
func DefaultCostOptions() CostOptions {
	d := DefaultServerOptions()
	return CostOptions{Endpoint: "http://" + d.Listen, Region: d.Region}
}

// costTime reads a --since or --until: an RFC 3339 time, or a date.
func costTime(flag, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Format(time.RFC3339Nano), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format(time.RFC3339), nil
	}
	return "", fmt.Errorf("--%s %q: want an RFC 3339 time (2026-12-01T00:00:00Z) or a date (2026-12-01)", flag, s)
}

// Cost prints a running server's cost report: one execution's, or the
// sums per state machine and per account of the executions started in a
// range. The request is signed as `statecraft cluster`'s is.
func Cost(ctx context.Context, o CostOptions, getenv func(string) string, stdout io.Writer) error {
	q := url.Values{}
	since, err := costTime("since", o.Since)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	until, err := costTime("until", o.Until)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if o.Execution != "" && (o.StateMachine != "" || since != "" || until != "" || o.AllAccounts) {
		return &ExitError{Code: 2, Err: fmt.Errorf("--execution takes none of --state-machine, --since, --until, --all-accounts")}
	}
	for k, v := range map[string]string{"executionArn": o.Execution, "stateMachineArn": o.StateMachine, "since": since, "until": until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.AllAccounts {
		q.Set("allAccounts", "true")
	}
	creds, err := deployCredentials(getenv)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	body, err := costDoor.get(ctx, o.Endpoint, o.Region, creds, q, 64<<20)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	var r cost.Report
	if err := json.Unmarshal(body, &r); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("reading the cost from %s: the answer is not a cost report: %v", o.Endpoint, err)}
	}
	if o.JSON {
		var out bytes.Buffer
		if err := json.Indent(&out, body, "", "  "); err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		out.WriteByte('\n')
		_, err := stdout.Write(out.Bytes())
		return err
	}
	return printCost(stdout, &r)
}

// usd writes a price to the micro-dollar and below, as small as they are.
func usd(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 8, 64) }

func printCost(w io.Writer, r *cost.Report) error {
	p := r.Prices
	fmt.Fprintf(w, "AWS list prices of %s, %s (%s): %s per state transition, %s per Lambda request, %s per Lambda GB-second\n",
		p.Date, p.Region, p.Currency, usd(p.StandardPerTransition), usd(p.LambdaPerRequest), usd(p.LambdaPerGBSecond))
	if x := r.Execution; x != nil {
		fmt.Fprintf(w, "\nexecution      %s\nstatus         %s\ntransitions    %d  %s\nlambda         %d requests, %d ms, %.6f GB-s  %s\ntotal          %s\n",
			x.ExecutionArn, x.Status, x.Transitions, usd(x.TransitionsUSD), x.LambdaRequests, x.LambdaBilledMs, x.LambdaGBSeconds, usd(x.LambdaUSD), usd(x.TotalUSD))
		if x.LambdaUnpriced > 0 {
			fmt.Fprintf(w, "(%d invocations of functions this server does not run are not priced)\n", x.LambdaUnpriced)
		}
		if x.ExpressRequests > 0 {
			// Before total would read better, but the lines above are what
			// scripts already parse.
			fmt.Fprintf(w, "express map    %d children, %d ms, %.6f GB-s  %s\n", x.ExpressRequests, x.ExpressBilledMs, x.ExpressGBSeconds, usd(x.ExpressUSD))
			if x.ExpressRunning > 0 {
				fmt.Fprintf(w, "(%d of them still running: their duration is not counted yet)\n", x.ExpressRunning)
			}
		}
		return nil
	}
	rng := "all time"
	switch {
	case !r.Since.IsZero() && !r.Until.IsZero():
		rng = "started " + r.Since.Format(time.RFC3339) + " to " + r.Until.Format(time.RFC3339)
	case !r.Since.IsZero():
		rng = "started since " + r.Since.Format(time.RFC3339)
	case !r.Until.IsZero():
		rng = "started before " + r.Until.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "executions %s\n\n", rng)
	// The Express children's columns show only when some were started,
	// so the common table stays as narrow as it was.
	express := false
	for _, t := range r.Accounts {
		express = express || t.ExpressRequests > 0
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "STATE MACHINE\tACCOUNT\tEXECUTIONS\tTRANSITIONS\tTRANSITIONS USD\tLAMBDA REQUESTS\tLAMBDA GB-S\tLAMBDA USD"
	if express {
		head += "\tEXPRESS CHILDREN\tEXPRESS GB-S\tEXPRESS USD"
	}
	fmt.Fprintln(tw, head+"\tTOTAL USD")
	row := func(name string, t cost.Total) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%.6f\t%s\t", name, t.Account, t.Executions, t.Transitions, usd(t.TransitionsUSD),
			t.LambdaRequests, t.LambdaGBSeconds, usd(t.LambdaUSD))
		if express {
			fmt.Fprintf(tw, "%d\t%.6f\t%s\t", t.ExpressRequests, t.ExpressGBSeconds, usd(t.ExpressUSD))
		}
		fmt.Fprintf(tw, "%s\n", usd(t.TotalUSD))
	}
	for _, t := range r.StateMachines {
		row(t.StateMachineArn, t)
	}
	if len(r.StateMachines) == 0 {
		fmt.Fprintln(tw, "(none)\t\t\t\t\t\t\t\t")
	}
	for _, t := range r.Accounts {
		row("account total", t)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Truncated {
		fmt.Fprintf(w, "\nonly the newest %d executions were read: the sums leave the older ones out\n", cost.MaxExecutions)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote: %s\n", n)
	}
	return nil
}
