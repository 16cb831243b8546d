// Package jsonata is Statecraft's pure-Go JSONata 2.x engine, what
// JSONata states ("QueryLanguage": "JSONata") evaluate their {% %}
// expressions with. It stands alone: no ASL or Step Functions knowledge
// lives here, so it can be tested against the official JSONata suite as
// it is, and Step Functions' additions ($states, $partition, $uuid, ...)
// are the interpreter's, bound as variables and host functions.
//
// An expression is compiled once and evaluated against a jsonv value,
// with variables bound by name (without their '$'):
//
//	e, err := jsonata.Compile(`orders[total > $limit].id`) // a *jsonata.Error (code S0xxx) when it does not parse
//	v, err := e.Eval(input, map[string]any{"limit": int64(100)})
//	// v is []any{"b", "c"} for two matches, "c" for one (a sequence of one
//	// value is that value); err is ErrUndefined for none, distinct from
//	// a JSON null result (nil, nil).
//
// EvalWith takes Options: the clock and the random source (without them
// $now() and $random() fail rather than read hidden inputs; Options.Host
// gives both as one interface value) and evaluation limits.
//
// Values follow the jsonv model (*jsonv.Object, []any, string, int64,
// float64, bool, nil). Inside the engine numbers are float64; results turn
// integral numbers back into int64. Embedders bind their own functions
// with Function (host.go).
//
// # Supported
//
// The whole JSONata 2.x language: paths, predicates, wildcards and
// descendants, sequences and array flattening, object constructors and
// group-by, order-by (^), focus (@) and index (#) variable binding, the
// parent operator (%), conditionals, ?: and ??, blocks and variables,
// lambdas with signatures, closures, partial application, tail calls,
// function chaining (~>), regular expressions, and transforms (|...|...|).
// All built-in functions of jsonata-js 2.x, including the XPath F&O picture
// functions $formatNumber, $formatInteger, $parseInteger, $formatBase,
// $fromMillis, $toMillis and $now with pictures, the URL functions, $eval
// (in the caller's environment), custom matcher functions for $match and
// $split, $random and $shuffle. Error codes follow jsonata-js. The
// official test suite passes 1684 of 1686 cases (suite_test.go,
// ratchet.json).
//
// # Purity and limits
//
// The engine has no hidden inputs: $now() and $millis() read Options.Now
// (once per evaluation) and fail with D3200 without it; $random() and
// $shuffle() read Options.Random and fail with D3201 without it.
// Evaluation depth (nested expressions, so also recursion) and total
// steps are bounded by Options.MaxDepth / MaxSteps (errors U1001 / U1002).
// Steps count every evaluated expression and function call, and also
// native work: building ranges, copying strings and arrays, and walking
// structures (which can be exponentially large when sub-structures are
// shared), so no expression can hang or allocate without bound. Regular
// expressions use Go's linear-time regexp. Neither Compile nor Eval
// panics: an internal fault surfaces as error U1000.
//
// # Object key order
//
// JSONata preserves object key insertion order, and so do jsonv objects:
// input objects are visited in document order, and objects that an
// expression builds (constructors, group-by, $merge, $sift, transforms,
// ...) keep their construction order, in the evaluation and in Eval's
// result. This shows in $keys, $each, $spread, $string, wildcards and
// descendants.
//
// # Known differences from jsonata-js
//
// Go strings cannot hold lone UTF-16 surrogates: JSON text such as
// "\uD800" decodes to U+FFFD, so $encodeUrl('\uD800') encodes U+FFFD
// instead of failing with D3140 (the 2 suite cases that fail). $pad widths
// are capped at one million characters. Parsing ISO week dates with
// $toMillis is not supported (D3136), as in jsonata-js.
//
// Layout: lexer.go (tokens), parser.go (Pratt parser plus the path,
// predicate and ancestry rewriting jsonata-js calls processAST), eval.go
// (evaluator, sequences, path and tuple-stream semantics), fast.go (the
// common shapes evaluated without the evaluator's setup, falling back to
// it for anything unusual; Expr.PathComparison for embedders), call.go
// (lambdas, partial application, tail calls, ~>, transforms), signature.go
// (function signatures), builtins.go, datetime.go (integer and date/time
// pictures), formatnumber.go ($formatNumber, $formatBase), misc.go (URL
// functions, $eval, $random, $shuffle), order.go (object key order),
// values.go (truthiness, equality, number/JSON formatting, export to
// jsonv).
package jsonata
