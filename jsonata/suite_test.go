package jsonata

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

const suiteDir = "../../shared/jsonata-test-suite"

type suiteCase struct {
	Expr            string          `json:"expr"`
	ExprFile        string          `json:"expr-file"`
	Data            json.RawMessage `json:"data"`
	Dataset         *string         `json:"dataset"`
	Bindings        json.RawMessage `json:"bindings"`
	Result          json.RawMessage `json:"result"`
	UndefinedResult bool            `json:"undefinedResult"`
	Code            string          `json:"code"`
	Error           *struct {
		Code string `json:"code"`
	} `json:"error"`
	Depth     int `json:"depth"`
	Timelimit int `json:"timelimit"`
}

func parseRaw(raw json.RawMessage) (any, bool, error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	v, err := jsonv.Parse(raw)
	return v, true, err
}

// The suite's expectations are jsonata-js output, whose objects keep
// insertion order, compared with jsonv.SameOrder. The suite's own runner
// compares with deepEqual, so a few expectations were written in an order
// jsonata-js does not produce; orderExempt lists them with the reason.
var orderExempt = map[string]bool{
	// jsonata-js assigns the update's keys onto the match and then deletes
	// ("hello" goes last, "hi" is removed): {"bye":null,"hello":"world"};
	// the case lists "hello" first.
	"$ ~> | ** ['hi'] | {'hello': hi}, ['hi'] |": true,
}

func loadCases(path string) ([]suiteCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	trim := strings.TrimSpace(string(b))
	if strings.HasPrefix(trim, "[") {
		var cs []suiteCase
		err := json.Unmarshal(b, &cs)
		return cs, err
	}
	var c suiteCase
	err = json.Unmarshal(b, &c)
	return []suiteCase{c}, err
}

// runCase reports "" on success or a reason for failure.
func runCase(c suiteCase, datasets map[string]any) (reason string) {
	defer func() {
		if r := recover(); r != nil {
			reason = fmt.Sprintf("PANIC: %v", r)
		}
	}()
	if c.Code == "" && c.Error != nil {
		c.Code = c.Error.Code
	}
	var input any = undefined
	if v, ok, err := parseRaw(c.Data); ok {
		if err != nil {
			return "bad data: " + err.Error()
		}
		input = v
	} else if c.Dataset != nil {
		ds, ok := datasets[*c.Dataset]
		if !ok {
			return "missing dataset " + *c.Dataset
		}
		input = ds
	}
	var bindings map[string]any
	if v, ok, _ := parseRaw(c.Bindings); ok {
		if o, ok := v.(*jsonv.Object); ok {
			bindings = o.Map()
		}
	}
	expr, err := Compile(c.Expr)
	var res any
	if err == nil {
		seed := uint64(42)
		random := func() float64 { // deterministic LCG, enough for the suite
			seed = seed*6364136223846793005 + 1442695040888963407
			return float64(seed>>11) / (1 << 53)
		}
		opts := Options{MaxDepth: c.Depth, Now: func() time.Time { return time.Unix(1700000000, 0) }, Random: random}
		if isUndef(input) {
			res, err = expr.evalUndefinedInput(bindings, opts)
		} else {
			res, err = expr.EvalWith(input, bindings, opts)
		}
	}
	switch {
	case c.Code != "":
		var je *Error
		if errors.As(err, &je) && je.Code == c.Code {
			return ""
		}
		if err != nil && c.Code == "U1001" && errors.As(err, &je) && je.Code == "U1002" {
			return ""
		}
		return fmt.Sprintf("want error %s, got %v / %v", c.Code, jsonv.String(res), err)
	case c.UndefinedResult:
		if errors.Is(err, ErrUndefined) {
			return ""
		}
		return fmt.Sprintf("want undefined, got %v / %v", jsonv.String(res), err)
	default:
		want, ok, perr := parseRaw(c.Result)
		if !ok || perr != nil {
			if errors.Is(err, ErrUndefined) {
				return ""
			}
			return "case has no result"
		}
		if err != nil {
			return fmt.Sprintf("want %s, got error %v", jsonv.String(want), err)
		}
		if !jsonv.Equal(want, res) {
			return fmt.Sprintf("want %s, got %s", jsonv.String(want), jsonv.String(res))
		}
		if !jsonv.SameOrder(want, res) && !orderExempt[c.Expr] {
			return fmt.Sprintf("want %s, got %s (key order)", jsonv.String(want), jsonv.String(res))
		}
		return ""
	}
}

type ratchet struct {
	Pass int `json:"pass"`
}

func TestSuite(t *testing.T) {
	groupsDir := filepath.Join(suiteDir, "groups")
	if _, err := os.Stat(groupsDir); err != nil {
		t.Skipf("JSONata test suite not found at %s: %v", groupsDir, err)
	}
	datasets := map[string]any{}
	files, _ := filepath.Glob(filepath.Join(suiteDir, "datasets", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonv.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		datasets[strings.TrimSuffix(filepath.Base(f), ".json")] = v
	}
	groups, err := os.ReadDir(groupsDir)
	if err != nil {
		t.Fatal(err)
	}
	verbose := os.Getenv("JSONATA_SUITE_VERBOSE") != ""
	only := os.Getenv("JSONATA_SUITE_GROUP")
	total, passed := 0, 0
	var lines []string
	for _, g := range groups {
		if !g.IsDir() || (only != "" && g.Name() != only) {
			continue
		}
		caseFiles, _ := filepath.Glob(filepath.Join(groupsDir, g.Name(), "*.json"))
		sort.Strings(caseFiles)
		gt, gp := 0, 0
		for _, cf := range caseFiles {
			cs, err := loadCases(cf)
			if err != nil {
				t.Errorf("%s: %v", cf, err)
				continue
			}
			for i, c := range cs {
				gt++
				if c.ExprFile != "" {
					b, err := os.ReadFile(filepath.Join(groupsDir, g.Name(), c.ExprFile))
					if err != nil {
						t.Errorf("%s: %v", cf, err)
						continue
					}
					c.Expr = string(b)
				}
				reason := runCase(c, datasets)
				if strings.HasPrefix(reason, "PANIC") {
					t.Errorf("%s[%d] %q: %s", cf, i, c.Expr, reason)
				}
				if reason == "" {
					gp++
				} else if verbose {
					t.Logf("FAIL %s/%s[%d] %q: %s", g.Name(), filepath.Base(cf), i, c.Expr, reason)
				}
			}
		}
		total += gt
		passed += gp
		lines = append(lines, fmt.Sprintf("%-32s %4d/%4d", g.Name(), gp, gt))
	}
	t.Logf("per group:\n%s", strings.Join(lines, "\n"))
	t.Logf("TOTAL: %d/%d cases pass", passed, total)
	if only != "" {
		return
	}
	b, err := os.ReadFile("ratchet.json")
	if err != nil {
		t.Fatalf("reading ratchet.json: %v", err)
	}
	var r ratchet
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("ratchet.json: %v", err)
	}
	if passed < r.Pass {
		t.Fatalf("suite regression: %d cases pass, ratchet.json requires %d", passed, r.Pass)
	}
	if passed > r.Pass {
		t.Logf("ratchet can be raised from %d to %d", r.Pass, passed)
	}
}
