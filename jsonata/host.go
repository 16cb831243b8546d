package jsonata

import "fmt"

// Function is a host-defined function that an embedder binds as a
// variable, so expressions can call it like a built-in: pass it in the
// bindings of Eval or EvalWith under the name it is called by (without
// '$'). Step Functions' $partition or $uuid, for example, live in the ASL
// layer, not here, because they are not part of JSONata.
type Function struct {
	// Signature is a JSONata function signature such as "<a<n>n:a<a>>"; it
	// validates and coerces arguments exactly as for built-ins. Empty means
	// no checking.
	Signature string
	// Call receives the arguments as jsonv values (undefined arguments are
	// nil) and returns a jsonv value. Returning ErrUndefined makes the call
	// undefined. Errors that are not *Error are reported with code D3137.
	Call func(args []any) (any, error)
}

// hostBuiltin turns a Function into the engine's builtin.
func hostBuiltin(name string, f Function) (*builtin, error) {
	b := &builtin{name: name}
	if f.Signature != "" {
		s, err := parseSignature(f.Signature)
		if err != nil {
			return nil, fmt.Errorf("jsonata: function %s: bad signature %q", name, f.Signature)
		}
		b.sig = s
	}
	call := f.Call
	b.fn = func(ev *evaluator, args []any, input any, pos int) (any, error) {
		out := make([]any, len(args))
		for i, a := range args {
			if isUndef(a) {
				continue
			}
			out[i], _ = ev.export(a)
		}
		res, err := call(out)
		if err == ErrUndefined {
			return undefined, nil
		}
		if err != nil {
			if je, ok := err.(*Error); ok {
				if je.Position == 0 {
					je.Position = pos
				}
				return nil, je
			}
			return nil, &Error{Code: "D3137", Position: pos, Message: err.Error()}
		}
		return res, nil
	}
	return b, nil
}
