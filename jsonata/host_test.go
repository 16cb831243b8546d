package jsonata

import (
	"errors"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

func TestHostFunction(t *testing.T) {
	double := Function{Signature: "<n:n>", Call: func(args []any) (any, error) {
		f, _ := args[0].(float64)
		if i, ok := args[0].(int64); ok {
			f = float64(i)
		}
		return f * 2, nil
	}}
	fail := Function{Call: func(args []any) (any, error) { return nil, errors.New("boom") }}
	none := Function{Call: func(args []any) (any, error) { return nil, ErrUndefined }}
	b := map[string]any{"double": double, "fail": fail, "none": none}
	cases := []struct {
		expr, want, code string
	}{
		{expr: `$double(21)`, want: `42`},
		{expr: `$map([1,2], $double)`, want: `[2,4]`},
		{expr: `[1,2] ~> $map($double)`, want: `[2,4]`},
		{expr: `$double("x")`, code: "T0410"},
		{expr: `$fail()`, code: "D3137"},
		{expr: `$none()`, code: "undefined"},
	}
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Eval(nil, b)
		switch {
		case c.code == "undefined":
			if err != ErrUndefined {
				t.Errorf("%s: got %v, %v; want undefined", c.expr, v, err)
			}
		case c.code != "":
			var je *Error
			if !errors.As(err, &je) || je.Code != c.code {
				t.Errorf("%s: got %v, %v; want code %s", c.expr, v, err, c.code)
			}
		default:
			got, _ := stringify(v, false)
			if err != nil || got != c.want {
				t.Errorf("%s: got %s, %v; want %s", c.expr, got, err, c.want)
			}
		}
	}
}

// $eval in tail position sees the calling lambda's variables, as it does
// anywhere else in the body.
func TestEvalInTailPosition(t *testing.T) {
	for _, src := range []string{`(function($v){$eval("$v + 1")})(1)`, `(function($v){$eval("$v + 1") + 0})(1)`} {
		e, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Eval(nil, nil)
		if err != nil || v != int64(2) {
			t.Errorf("%s = %v, %v; want 2", src, v, err)
		}
	}
}

type fixedHost struct{}

func (fixedHost) Now() time.Time  { return time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC) }
func (fixedHost) Random() float64 { return 0.25 }

// Options.Host supplies $now and $random; Now and Random win over it.
func TestOptionsHost(t *testing.T) {
	e, err := Compile(`[$now(), $random()]`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.EvalWith(nil, nil, Options{Host: fixedHost{}})
	if err != nil || jsonv.String(got) != `["2020-01-02T03:04:05.000Z",0.25]` {
		t.Fatalf("Host: %s %v", jsonv.String(got), err)
	}
	got, err = e.EvalWith(nil, nil, Options{Host: fixedHost{}, Random: func() float64 { return 0.5 }})
	if err != nil || jsonv.String(got) != `["2020-01-02T03:04:05.000Z",0.5]` {
		t.Fatalf("Random over Host: %s %v", jsonv.String(got), err)
	}
}
