package jsonata_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/statecraft/statecraft/jsonata"
	"github.com/statecraft/statecraft/jsonv"
)

// Compile once, evaluate many times: an Expr is immutable and safe for
// concurrent use. Input and result are jsonv values; bindings are
// variables, named without their '$'. As in every JSONata, a sequence of
// one value is that value: the second result is an object, not an array
// (end the path with [] to keep one).
func ExampleCompile() {
	e, err := jsonata.Compile(`orders[total > $limit].{"id": id, "vat": total * 0.25}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	input, _ := jsonv.ParseString(`{"orders": [
	  {"id": "a", "total": 80},
	  {"id": "b", "total": 120},
	  {"id": "c", "total": 400}
	]}`)
	for _, limit := range []int64{100, 200} {
		v, err := e.Eval(input, map[string]any{"limit": limit})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(jsonv.Marshal(v)))
	}
	// Output:
	// [{"id":"b","vat":30},{"id":"c","vat":100}]
	// {"id":"c","vat":100}
}

// JSONata's undefined (no value at all) is not JSON null: Eval reports it
// as ErrUndefined. Errors carry JSONata's codes and the position in the
// expression.
func ExampleExpr_Eval_undefined() {
	input := jsonv.ObjectOf("a", nil)
	for _, src := range []string{`a`, `b`, `a +`, `"x" + 1`} {
		e, err := jsonata.Compile(src)
		if err != nil {
			fmt.Printf("%-8s %v\n", src, err)
			continue
		}
		v, err := e.Eval(input, nil)
		switch {
		case errors.Is(err, jsonata.ErrUndefined):
			fmt.Printf("%-8s undefined\n", src)
		case err != nil:
			fmt.Printf("%-8s %v\n", src, err)
		default:
			fmt.Printf("%-8s %s\n", src, jsonv.Marshal(v))
		}
	}
	// Output:
	// a        null
	// b        undefined
	// a +      jsonata S0207 at position 3: unexpected end of expression
	// "x" + 1  jsonata T2001 at position 5: the left side of the arithmetic operator must evaluate to a number
}

// The engine has no hidden inputs: $now() reads Options.Now, once per
// evaluation, and fails without it.
func ExampleExpr_EvalWith() {
	e, _ := jsonata.Compile(`$now()`)
	_, err := e.Eval(nil, nil)
	fmt.Println(err)
	v, _ := e.EvalWith(nil, nil, jsonata.Options{
		Now: func() time.Time { return time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC) },
	})
	fmt.Println(v)
	// Output:
	// jsonata D3200 at position 5: no clock configured: $now() and $millis() need Options.Now
	// 2025-06-01T09:30:00.000Z
}

// A host binds its own functions as variables; the signature checks and
// coerces arguments as it does for built-ins. Step Functions' $partition
// or $uuid are bound this way by the interpreter, not defined here.
func ExampleFunction() {
	shout := jsonata.Function{
		Signature: "<s:s>",
		Call: func(args []any) (any, error) {
			s, _ := args[0].(string)
			return strings.ToUpper(s) + "!", nil
		},
	}
	e, _ := jsonata.Compile(`names.$shout($)`)
	v, err := e.Eval(jsonv.ObjectOf("names", []any{"ada", "grace"}), map[string]any{"shout": shout})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(jsonv.Marshal(v)))
	// Output:
	// ["ADA!","GRACE!"]
}
