package cost

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

// Memory tells the configured memory of account's local function name;
// ok is false for a function the server does not run.
type Memory func(account, name string) (mb int64, ok bool)

// Execution is what one execution costs.
type Execution struct {
	ExecutionArn    string    `json:"executionArn"`
	StateMachineArn string    `json:"stateMachineArn"`
	Account         string    `json:"account"`
	Status          string    `json:"status"`
	StartDate       time.Time `json:"startDate"`
	StopDate        time.Time `json:"stopDate,omitzero"`
	// Transitions are the billed state transitions (measured), and
	// TransitionsUSD their price.
	Transitions    int64   `json:"transitions"`
	TransitionsUSD float64 `json:"transitionsUSD"`
	Lambda
	Express
	TotalUSD float64 `json:"totalUSD"`
}

// Express is what the Express children of an execution's Distributed
// Maps (ProcessorConfig ExecutionType EXPRESS) cost: AWS bills each as an
// Express execution, a request and its duration (rounded up to 100 ms, at
// ExpressMemoryMB), not by state transitions; their parent pays one
// transition per child started, which is in its Transitions.
// ExpressRequests counts the children started (a redrive's new start of a
// child that did not succeed is one more), ExpressRunning those of them
// still running, whose request is counted and whose duration is not yet.
type Express struct {
	ExpressRequests  int64   `json:"expressRequests"`
	ExpressBilledMs  int64   `json:"expressBilledMs"`
	ExpressGBSeconds float64 `json:"expressGBSeconds"`
	ExpressUSD       float64 `json:"expressUSD"`
	ExpressRunning   int64   `json:"expressRunning,omitempty"`
}

func (x *Express) add(o Express) {
	x.ExpressRequests += o.ExpressRequests
	x.ExpressBilledMs += o.ExpressBilledMs
	x.ExpressGBSeconds += o.ExpressGBSeconds
	x.ExpressUSD += o.ExpressUSD
	x.ExpressRunning += o.ExpressRunning
}

// Lambda is what the local Lambda functions an execution called cost:
// LambdaRequests invocations that ended (succeeded, failed or timed out),
// billed LambdaBilledMs in all (each rounded up to 1 ms) and
// LambdaGBSeconds at their functions' memory. LambdaUnpriced counts the
// invocations of functions this server does not run (no memory known),
// which are in no figure.
type Lambda struct {
	LambdaRequests  int64   `json:"lambdaRequests"`
	LambdaBilledMs  int64   `json:"lambdaBilledMs"`
	LambdaGBSeconds float64 `json:"lambdaGBSeconds"`
	LambdaUSD       float64 `json:"lambdaUSD"`
	LambdaUnpriced  int64   `json:"lambdaUnpriced,omitempty"`
}

func (l *Lambda) add(o Lambda) {
	l.LambdaRequests += o.LambdaRequests
	l.LambdaBilledMs += o.LambdaBilledMs
	l.LambdaGBSeconds += o.LambdaGBSeconds
	l.LambdaUSD += o.LambdaUSD
	l.LambdaUnpriced += o.LambdaUnpriced
}

// Total sums the executions of one state machine, or of one account.
type Total struct {
	StateMachineArn string  `json:"stateMachineArn,omitempty"`
	Account         string  `json:"account"`
	Type            string  `json:"type,omitempty"`
	Executions      int64   `json:"executions"`
	Transitions     int64   `json:"transitions"`
	TransitionsUSD  float64 `json:"transitionsUSD"`
	Lambda
	Express
	TotalUSD float64 `json:"totalUSD"`
}

func (t *Total) add(e *Execution) {
	t.Executions++
	t.Transitions += e.Transitions
	t.TransitionsUSD += e.TransitionsUSD
	t.Lambda.add(e.Lambda)
	t.Express.add(e.Express)
	t.TotalUSD += e.TotalUSD
}

// Report is the answer of Path.
type Report struct {
	Prices Prices `json:"prices"`
	// Execution is set when one execution was asked for.
	Execution *Execution `json:"execution,omitempty"`
	// Since and Until bound the executions summed (by start date: Since
	// included, Until not).
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// StateMachines and Accounts are the sums, per state machine and per
	// account, of the executions started in the range.
	StateMachines []Total `json:"stateMachines"`
	Accounts      []Total `json:"accounts"`
	// Truncated says that more executions started in the range than one
	// report reads (MaxExecutions): the sums are of the newest.
	Truncated bool `json:"truncated,omitempty"`
	// Notes say what the figures leave out.
	Notes []string `json:"notes,omitempty"`
}

// MaxExecutions bounds the executions one report reads.
const MaxExecutions = 100_000

// NoteExpress is said of EXPRESS state machines: nothing of their
// executions is stored, so none is counted.
const NoteExpress = "EXPRESS executions run in memory and are not stored: none is counted here (their price per execution is expressPerRequest plus the duration at expressMemoryMB)"

// Calculator computes reports from a store.
type Calculator struct {
	Store  store.Store
	Prices Prices
	Memory Memory // nil: no function's memory is known
}

// Of computes what e costs. It reads e's history only when its definition
// can call a Lambda function, and its Map Runs only when it can start
// Express children.
func (c *Calculator) Of(ctx context.Context, e *store.Execution) (*Execution, error) {
	x := &Execution{ExecutionArn: e.Arn, StateMachineArn: e.StateMachineArn, Status: e.Status,
		StartDate: e.StartedAt, StopDate: e.StoppedAt, Transitions: e.Transitions}
	if a, err := arn.Parse(e.Arn); err == nil {
		x.Account = a.Account
	}
	x.TransitionsUSD = c.Prices.Standard(e.Transitions)
	if strings.Contains(e.Definition, "lambda") {
		l, err := c.lambda(ctx, e.Arn, x.Account)
		if err != nil {
			return nil, err
		}
		x.Lambda = l
	}
	if strings.Contains(e.Definition, "EXPRESS") {
		ex, err := c.expressChildren(ctx, e.Arn)
		if err != nil {
			return nil, err
		}
		x.Express = ex
	}
	x.TotalUSD = x.TransitionsUSD + x.LambdaUSD + x.ExpressUSD
	return x, nil
}

// expressChildren bills the Express children of execArn's Map Runs, from
// the start and stop times the store keeps of each.
func (c *Calculator) expressChildren(ctx context.Context, execArn string) (Express, error) {
	var out Express
	runs := ""
	for {
		page, next, err := c.Store.ListMapRuns(ctx, store.ListMapRunsParams{ExecutionArn: execArn, Limit: 1000, Token: runs})
		if err != nil {
			return Express{}, err
		}
		for _, r := range page {
			kids := ""
			for {
				ks, more, err := c.Store.ListMapRunExecutions(ctx, store.ListMapRunExecutionsParams{MapRunArn: r.Arn, Limit: 1000, Token: kids})
				if err != nil {
					return Express{}, err
				}
				for _, k := range ks {
					if a, err := arn.ParseStates(k.Arn); err != nil || a.Type != "express" {
						continue // a STANDARD child: its states are its parent's transitions
					}
					out.ExpressRequests++
					if k.StoppedAt.IsZero() {
						out.ExpressRunning++
						out.ExpressUSD += c.Prices.ExpressPerRequest
						continue
					}
					d := k.StoppedAt.Sub(k.StartedAt)
					ms, mb := c.Prices.ExpressBilled(d)
					out.ExpressBilledMs += ms
					out.ExpressGBSeconds += gbSeconds(ms, mb)
					out.ExpressUSD += c.Prices.Express(d)
				}
				if more == "" {
					break
				}
				kids = more
			}
		}
		if next == "" {
			return out, nil
		}
		runs = next
	}
}

// lambda measures the Lambda invocations of an execution's history: from
// each LambdaFunctionStarted (or TaskStarted of the lambda:invoke
// integration) to the event that ended it, which names it as its
// previous event.
func (c *Calculator) lambda(ctx context.Context, execArn, account string) (Lambda, error) {
	var out Lambda
	type call struct {
		fnAccount, name string
		at              time.Time
	}
	scheduled := map[int64]call{} // scheduled event id -> function
	started := map[int64]call{}   // started event id -> function, start
	after := int64(0)
	for {
		page, err := c.Store.History(ctx, store.HistoryParams{ExecutionArn: execArn, AfterID: after, Limit: 1000})
		if err != nil {
			return Lambda{}, err
		}
		for _, ev := range page {
			after = ev.ID
			switch ev.Type {
			case "LambdaFunctionScheduled", "TaskScheduled":
				var b struct {
					L *struct {
						Resource string `json:"resource"`
					} `json:"lambdaFunctionScheduledEventDetails"`
					T *struct {
						ResourceType string `json:"resourceType"`
						Resource     string `json:"resource"`
						Parameters   string `json:"parameters"`
					} `json:"taskScheduledEventDetails"`
				}
				if json.Unmarshal(ev.Body, &b) != nil {
					continue
				}
				fn := ""
				if b.L != nil {
					fn = b.L.Resource
				} else if b.T != nil && b.T.ResourceType == "lambda" && b.T.Resource == "invoke" {
					var p struct{ FunctionName string }
					_ = json.Unmarshal([]byte(b.T.Parameters), &p)
					fn = p.FunctionName
				}
				if fn != "" {
					fa, name := functionName(fn, account)
					scheduled[ev.ID] = call{fa, name, ev.Timestamp}
				}
			case "LambdaFunctionStarted", "TaskStarted":
				if cl, ok := scheduled[previous(ev.Body)]; ok {
					cl.at = ev.Timestamp
					started[ev.ID] = cl
				}
			case "LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
				"TaskSucceeded", "TaskFailed", "TaskTimedOut":
				cl, ok := started[previous(ev.Body)]
				if !ok {
					continue
				}
				mb, known := int64(0), false
				if c.Memory != nil {
					mb, known = c.Memory(cl.fnAccount, cl.name)
				}
				if !known {
					out.LambdaUnpriced++
					continue
				}
				ms := LambdaBilledMs(ev.Timestamp.Sub(cl.at))
				out.LambdaRequests++
				out.LambdaBilledMs += ms
				out.LambdaGBSeconds += gbSeconds(ms, mb)
				out.LambdaUSD += c.Prices.Lambda(ms, mb)
			}
		}
		if len(page) < 1000 {
			return out, nil
		}
	}
}

func previous(body []byte) int64 {
	var b struct {
		P int64 `json:"previousEventId"`
	}
	_ = json.Unmarshal(body, &b)
	return b.P
}

// functionName reads a function reference as Lambda does: a name, a
// partial ARN (ACCOUNT:function:NAME) or a full one, with or without a
// qualifier.
func functionName(ref, account string) (string, string) {
	if a, err := arn.Parse(ref); err == nil {
		name := strings.TrimPrefix(a.Resource, "function:")
		name, _, _ = strings.Cut(name, ":")
		return cmp.Or(a.Account, account), name
	}
	parts := strings.Split(ref, ":")
	if len(parts) >= 3 && parts[1] == "function" {
		return parts[0], parts[2]
	}
	return account, parts[0]
}

// Query selects the executions a report sums.
type Query struct {
	// StateMachines are the machines whose executions are summed.
	StateMachines []*store.StateMachine
	Since, Until  time.Time // zero: unbounded
}

// Sum computes the report of q.
func (c *Calculator) Sum(ctx context.Context, q Query) (*Report, error) {
	r := &Report{Prices: c.Prices, Since: q.Since, Until: q.Until, StateMachines: []Total{}, Accounts: []Total{}}
	accounts := map[string]*Total{}
	read := 0
	express := false
	for _, sm := range q.StateMachines {
		acct := ""
		if a, err := arn.Parse(sm.Arn); err == nil {
			acct = a.Account
		}
		t := Total{StateMachineArn: sm.Arn, Account: acct, Type: sm.Type}
		if accounts[acct] == nil {
			accounts[acct] = &Total{Account: acct}
		}
		if sm.Type == "EXPRESS" {
			express = true
		}
		token := ""
	pages:
		for {
			page, next, err := c.Store.ListExecutions(ctx, store.ListExecutionsParams{StateMachineArn: sm.Arn, Limit: 1000, Token: token})
			if err != nil {
				return nil, err
			}
			for _, e := range page {
				if !q.Until.IsZero() && !e.StartedAt.Before(q.Until) {
					continue
				}
				if !q.Since.IsZero() && e.StartedAt.Before(q.Since) {
					break pages // newest first: the rest started earlier still
				}
				if read >= MaxExecutions {
					r.Truncated = true
					break pages
				}
				read++
				x, err := c.Of(ctx, e)
				if err != nil {
					return nil, err
				}
				t.add(x)
				accounts[acct].add(x)
			}
			if next == "" {
				break
			}
			token = next
		}
		r.StateMachines = append(r.StateMachines, t)
	}
	for _, t := range accounts {
		r.Accounts = append(r.Accounts, *t)
	}
	slices.SortFunc(r.Accounts, func(a, b Total) int { return cmp.Compare(a.Account, b.Account) })
	slices.SortFunc(r.StateMachines, func(a, b Total) int { return cmp.Compare(a.StateMachineArn, b.StateMachineArn) })
	if express {
		r.Notes = append(r.Notes, NoteExpress)
	}
	return r, nil
}
