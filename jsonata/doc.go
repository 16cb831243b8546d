// Package jsonata is Statecraft's pure-Go JSONata 2.x engine. It stands
// alone: no ASL or Step Functions knowledge lives here.
//
//	e, err := jsonata.Compile(`orders[total > 100].id`)
//	v, err := e.Eval(input, map[string]any{"limit": 5.0})
//
// Values follow the jsonv model (map[string]any, []any, string, int64,
// float64, bool, nil). Inside the engine numbers are float64; results turn
// integral numbers back into int64. JSONata's undefined is reported as
// (nil, ErrUndefined), distinct from JSON null (nil, nil).
//
// The engine is pure: $now() and $millis() read Options.Now (once per
// evaluation) and fail with D3200 without it. Evaluation depth and total
// steps are bounded (Options.MaxDepth / MaxSteps, errors U1001 / U1002), and
// neither Compile nor Eval panics: an internal fault surfaces as error U1000.
//
// Layout: lexer.go (tokens), parser.go (Pratt parser plus the path/predicate
// rewriting jsonata-js calls processAST), eval.go (evaluator, sequences and
// path semantics), call.go (lambdas, partial application, tail calls, ~>,
// transforms), signature.go (function signatures), builtins.go, values.go
// (truthiness, equality, number/JSON formatting, export to jsonv).
//
// Not yet supported: the parent operator %, focus/index binding (@ and #),
// $formatNumber/$formatInteger/$formatBase/$parseInteger, date functions
// ($fromMillis/$toMillis), URL encoding, $eval, $shuffle/$random. Object
// keys are unordered (Go maps); wildcard and $keys visit keys sorted.
package jsonata
