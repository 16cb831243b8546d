package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
)

// casesDir is where the recorded cases live: shared/ sits beside the repo.
func casesDir() string {
	if d := os.Getenv("STATECRAFT_CONFORMANCE_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "conformance", "cases")
}

type recorded struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Expected   json.RawMessage `json:"expected"`
	History    json.RawMessage `json:"history"`
	Features   []string        `json:"features"`
}

type outcome struct {
	name     string
	core     bool // neither JSONata nor Assign: in scope for the interpreter core
	features []string
	outputOK bool
	// orderWhy says how the output's key order differs from the recorded
	// one, which the recorder kept as AWS wrote it (recorded outputs are
	// not sorted); empty when it does not.
	orderWhy  string
	hasHist   bool
	historyOK bool
	why       string
	// refused: AWS accepted the definition and Statecraft refuses a field
	// it does not implement.
	refused string
}

// refusedCases lists the recorded cases whose definitions AWS accepted and
// Statecraft refuses on purpose, because they use a field Statecraft does
// not implement (asl.CodeNotImplemented): case name -> the field. Such a
// case fails here, and the list says so in the open rather than letting
// the engine run the machine as if the field were absent. It is empty
// today: no recorded case uses Credentials, ItemReader, ResultWriter or
// ExecutionType EXPRESS. TestConformance fails when the list and the
// refusals disagree.
var refusedCases = map[string]string{}

// Ratchet holds the committed pass counts; they may only go up.
type Ratchet struct {
	CoreOutput  int `json:"core_output"`
	CoreHistory int `json:"core_history"`
	AllOutput   int `json:"all_output"`
	AllHistory  int `json:"all_history"`
	// The output counts again, with key order compared too.
	CoreOutputOrder int `json:"core_output_order"`
	AllOutputOrder  int `json:"all_output_order"`
}

func TestConformance(t *testing.T) {
	dir := casesDir()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no conformance cases in %s (shared/ must sit beside the repository, or set STATECRAFT_CONFORMANCE_DIR)", dir)
	}
	filter := os.Getenv("CONFORMANCE_CASE")
	verbose := os.Getenv("CONFORMANCE_VERBOSE") != ""
	var results []outcome
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c recorded
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if filter != "" && !regexp.MustCompile(filter).MatchString(c.Name) {
			continue
		}
		o := runCase(c)
		results = append(results, o)
		if verbose && (o.core || os.Getenv("CONFORMANCE_VERBOSE") == "all") && (!o.outputOK || (o.hasHist && !o.historyOK)) {
			t.Logf("FAIL %s\n    %s", o.name, o.why)
		}
		if verbose && (o.core || os.Getenv("CONFORMANCE_VERBOSE") == "all") && o.orderWhy != "" {
			t.Logf("ORDER %s\n    %s", o.name, o.orderWhy)
		}
	}
	r := report(t, results)
	if filter != "" {
		return
	}
	checkRefused(t, results)
	var want Ratchet
	data, err := os.ReadFile("ratchet.json")
	if err != nil {
		t.Fatalf("reading the ratchet: %v", err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("ratchet.json: %v", err)
	}
	if r.CoreOutput < want.CoreOutput || r.CoreHistory < want.CoreHistory || r.AllOutput < want.AllOutput || r.AllHistory < want.AllHistory ||
		r.CoreOutputOrder < want.CoreOutputOrder || r.AllOutputOrder < want.AllOutputOrder {
		t.Errorf("conformance fell below the ratchet: got %+v, ratchet %+v", r, want)
	}
	if r != want && r.CoreOutput >= want.CoreOutput && r.CoreHistory >= want.CoreHistory && r.AllOutput >= want.AllOutput && r.AllHistory >= want.AllHistory &&
		r.CoreOutputOrder >= want.CoreOutputOrder && r.AllOutputOrder >= want.AllOutputOrder {
		t.Logf("conformance is above the ratchet: raise conformance/ratchet.json to %s", mustJSON(r))
	}
}

func checkRefused(t *testing.T, results []outcome) {
	seen := map[string]bool{}
	for _, o := range results {
		if o.refused == "" {
			continue
		}
		seen[o.name] = true
		field, ok := refusedCases[o.name]
		switch {
		case !ok:
			t.Errorf("%s: AWS accepted the definition and Statecraft refuses it (%s); implement the field, or list the case in refusedCases", o.name, o.refused)
		case !strings.Contains(o.refused, "does not implement "+field):
			t.Errorf("%s is listed in refusedCases for %s, but the refusal is %s", o.name, field, o.refused)
		}
	}
	for name := range refusedCases {
		if !seen[name] {
			t.Errorf("%s is listed in refusedCases but Statecraft no longer refuses it (or the case is gone); remove it from the list", name)
		}
	}
	if len(refusedCases) > 0 {
		t.Logf("%d cases refused because Statecraft does not implement a field they use (refusedCases)", len(refusedCases))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func report(t *testing.T, results []outcome) Ratchet {
	type counts struct{ n, out, ord, hn, hist int }
	byFeature := map[string]*counts{}
	var core, all, ata counts
	for _, o := range results {
		add := func(c *counts) {
			c.n++
			if o.outputOK {
				c.out++
			}
			if o.outputOK && o.orderWhy == "" {
				c.ord++
			}
			if o.hasHist {
				c.hn++
				if o.outputOK && o.historyOK {
					c.hist++
				}
			}
		}
		add(&all)
		if o.core {
			add(&core)
		} else {
			add(&ata)
		}
		for _, f := range o.features {
			if byFeature[f] == nil {
				byFeature[f] = &counts{}
			}
			add(byFeature[f])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "conformance by feature (output passed/cases, history passed/recorded):\n")
	keys := make([]string, 0, len(byFeature))
	for k := range byFeature {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := byFeature[k]
		fmt.Fprintf(&b, "  %-40s output %4d/%-4d history %4d/%-4d\n", k, c.out, c.n, c.hist, c.hn)
	}
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Fprintf(&b, "core (no JSONata, no Assign): output %d/%d (%.1f%%), history %d/%d (%.1f%%)\n", core.out, core.n, pct(core.out, core.n), core.hist, core.hn, pct(core.hist, core.hn))
	fmt.Fprintf(&b, "jsonata+assign: output %d/%d (%.1f%%), history %d/%d (%.1f%%)\n", ata.out, ata.n, pct(ata.out, ata.n), ata.hist, ata.hn, pct(ata.hist, ata.hn))
	fmt.Fprintf(&b, "all cases:                     output %d/%d (%.1f%%), history %d/%d (%.1f%%)\n", all.out, all.n, pct(all.out, all.n), all.hist, all.hn, pct(all.hist, all.hn))
	fmt.Fprintf(&b, "output with key order:         core %d/%d, all %d/%d\n", core.ord, core.n, all.ord, all.n)
	t.Log(b.String())
	return Ratchet{CoreOutput: core.out, CoreHistory: core.hist, AllOutput: all.out, AllHistory: all.hist, CoreOutputOrder: core.ord, AllOutputOrder: all.ord}
}

var fixedStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func runCase(c recorded) (o outcome) {
	o.name = c.Name
	o.features = c.Features
	o.core = true
	for _, f := range c.Features {
		// JSONata and variables (Assign, $var references) are a later
		// piece of work; they are run and reported, not counted as core.
		if f == "jsonata" || f == "Assign" || f == "assign" || f == "variable-reference" || strings.HasPrefix(f, "jsonata:") {
			o.core = false
		}
	}
	defer func() {
		if r := recover(); r != nil {
			o.outputOK, o.historyOK = false, false
			o.why = fmt.Sprintf("panic: %v", r)
		}
	}()
	var exp map[string]any
	if v, err := jsonv.Parse(c.Expected); err == nil {
		if o, ok := v.(*jsonv.Object); ok {
			exp = o.Map()
		}
	}
	var wantHist []any
	if len(c.History) > 0 && string(c.History) != "null" {
		v, _ := jsonv.Parse(c.History)
		wantHist, _ = v.([]any)
		o.hasHist = len(wantHist) > 0
	}
	problems := validate(c.Definition)
	def, perr := asl.Parse(c.Definition)
	if exp["status"] == "INVALID_DEFINITION" {
		o.outputOK = len(problems) > 0 || perr != nil
		if !o.outputOK {
			o.why = "definition accepted; AWS rejected it: " + fmt.Sprint(exp["cause"])
		}
		return o
	}
	if len(problems) > 0 {
		o.why = "definition rejected: " + problems[0].String()
		for _, p := range problems {
			if p.Code == asl.CodeNotImplemented {
				o.refused = p.String()
				o.why = "definition refused on purpose: " + o.refused
				break
			}
		}
		return o
	}
	if perr != nil {
		o.why = "definition rejected: " + perr.Error()
		return o
	}
	input, err := jsonv.Parse(c.Input)
	if err != nil {
		o.why = "bad input: " + err.Error()
		return o
	}
	m := interp.New(def, interp.Options{History: true})
	res, err := runner.Run(context.Background(), m, runner.Options{
		Info: interp.Info{
			ExecutionArn:     "arn:aws:states:" + Region + ":" + Account + ":execution:" + MachineName + ":" + ExecName,
			Name:             ExecName,
			StateMachineArn:  "arn:aws:states:" + Region + ":" + Account + ":stateMachine:" + MachineName,
			StateMachineName: MachineName,
			RoleArn:          RoleArn,
			Region:           Region,
			Input:            input,
		},
		FastForward: true,
		Now:         func() time.Time { return fixedStart },
		Seed:        1,
	})
	if err != nil {
		o.why = "run error: " + err.Error()
		return o
	}
	n := newNormalizer()
	n.uuidBase = firstUUID(append(append([]byte{}, c.Expected...), c.History...))
	o.outputOK, o.why = compareOutcome(n, exp, res)
	if o.outputOK && res.Status == interp.Succeeded {
		if !jsonv.SameOrder(exp["output"], n.value(res.Output, "")) {
			o.orderWhy = fmt.Sprintf("output key order %s\n      want %s", jsonv.String(n.value(res.Output, "")), jsonv.String(exp["output"]))
		}
	}
	if !o.outputOK || !o.hasHist {
		return o
	}
	got := make([]*jsonv.Object, 0, len(res.History))
	for i := range res.History {
		v, err := jsonv.Parse(res.History[i].AppendJSON(nil))
		if err != nil {
			o.why = "history event does not encode: " + err.Error()
			return o
		}
		got = append(got, n.historyEvent(v.(*jsonv.Object)))
	}
	if _, ok := recordedBeforeMapExitChange[c.Name]; ok {
		toCurrentMapExit(wantHist)
	}
	if maskedMapRunArn(wantHist) {
		for _, g := range got {
			maskMapRunArn(g)
		}
	}
	o.historyOK, o.why = compareHistory(wantHist, got)
	return o
}

func compareOutcome(n *normalizer, exp map[string]any, res *runner.Result) (bool, string) {
	status := string(res.Status)
	if exp["status"] != status {
		return false, fmt.Sprintf("status %s (error %q cause %q), want %v (%v)", status, res.Error, res.Cause, exp["status"], jsonv.String(exp))
	}
	if status == "SUCCEEDED" {
		got := n.value(res.Output, "")
		if !looseEqual(exp["output"], got) {
			return false, fmt.Sprintf("output %s\n      want %s", jsonv.String(got), jsonv.String(exp["output"]))
		}
		return true, ""
	}
	wantErr, hasWantErr := exp["error"]
	if hasWantErr != res.HasError || (hasWantErr && wantErr != res.Error) {
		return false, fmt.Sprintf("error %q (set %v), want %v", res.Error, res.HasError, jsonv.String(exp))
	}
	wantCause, hasWantCause := exp["cause"]
	gotCause := n.cause(res.Cause)
	if hasWantCause != res.HasCause || (hasWantCause && wantCause != gotCause) {
		return false, fmt.Sprintf("cause %q, want %q", gotCause, wantCause)
	}
	return true, ""
}
