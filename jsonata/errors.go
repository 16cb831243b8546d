package jsonata

import (
	"errors"
	"fmt"
)

// ErrUndefined is returned by Eval when the expression evaluates to
// JSONata's "undefined" (no value at all), which is distinct from JSON null.
// The returned value is nil in that case.
var ErrUndefined = errors.New("jsonata: result is undefined")

// Error is a JSONata compile or evaluation error. Code is JSONata's error
// code (S0xxx for syntax, T0xxx/T1xxx/T2xxx for type errors, D1xxx-D3xxx
// for dynamic errors, U1001 for the depth limit and U1002 for the step
// limit); Position is the
// 1-based character offset in the expression where it was detected (0 when
// unknown).
type Error struct {
	Code     string
	Position int
	Token    string
	Value    any
	Message  string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = messages[e.Code]
	}
	if e.Position > 0 {
		return fmt.Sprintf("jsonata %s at position %d: %s", e.Code, e.Position, msg)
	}
	return fmt.Sprintf("jsonata %s: %s", e.Code, msg)
}

func newErr(code string, pos int, token string, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Position: pos, Token: token, Message: msg}
}

var messages = map[string]string{
	"S0101": "string literal must be terminated by a matching quote",
	"S0102": "number out of range",
	"S0103": "unsupported escape sequence",
	"S0104": "the escape sequence \\u must be followed by 4 hex digits",
	"S0105": "quoted property name must be terminated with a backquote",
	"S0106": "comment has no closing tag",
	"S0201": "syntax error",
	"S0202": "expected token",
	"S0203": "expected token before end of expression",
	"S0204": "unknown operator",
	"S0205": "unexpected token",
	"S0207": "unexpected end of expression",
	"S0208": "parameter of function definition must be a variable name",
	"S0209": "a predicate cannot follow a grouping expression in a step",
	"S0210": "each step can only have one grouping expression",
	"S0211": "the symbol cannot be used as a unary operator",
	"S0212": "the left side of := must be a variable name",
	"S0213": "the literal value cannot be used as a step within a path expression",
	"S0214": "the right side of @ must be a variable name",
	"S0215": "a context variable binding must precede any predicates on a step",
	"S0216": "a context variable binding must precede the 'order-by' clause on a step",
	"S0217": "the object representing the 'parent' cannot be derived from this expression",
	"S0301": "empty regular expressions are not allowed",
	"S0302": "no terminating / in regular expression",
	"S0401": "type parameters can only be applied to functions and arrays",
	"S0402": "choice groups containing parameterized types are not supported",
	"T0410": "argument of function does not match function signature",
	"T0411": "context value is not a compatible type with argument",
	"T0412": "argument of function must be an array of the expected type",
	"D1001": "number out of range",
	"D1002": "cannot negate a non-numeric value",
	"T1003": "key in object structure must evaluate to a string",
	"D1004": "regular expression matches zero length string",
	"T1005": "attempted to invoke a non-function",
	"T1006": "attempted to invoke a non-function",
	"T1007": "attempted to partially apply a non-function",
	"T1008": "attempted to partially apply a non-function",
	"D1009": "multiple key definitions evaluate to same key",
	"T2001": "the left side of the arithmetic operator must evaluate to a number",
	"T2002": "the right side of the arithmetic operator must evaluate to a number",
	"T2003": "the left side of the range operator must evaluate to an integer",
	"T2004": "the right side of the range operator must evaluate to an integer",
	"D2005": "the left side of := must be a variable name",
	"T2006": "the right side of the function application operator ~> must be a function",
	"T2007": "type mismatch when comparing values in order-by clause",
	"T2008": "the expressions within an order-by clause must evaluate to numeric or string values",
	"T2009": "the values either side of the operator must be of the same data type",
	"T2010": "the expressions either side of the operator must evaluate to numeric or string values",
	"T2011": "the insert/update clause of the transform expression must evaluate to an object",
	"T2012": "the delete clause of the transform expression must evaluate to a string or array of strings",
	"T2013": "the transform expression clones the input object using the $clone() function, which has been overridden",
	"D2014": "the size of the sequence allocated by the range operator must not exceed 1e7",
	"D3001": "attempting to invoke string function on Infinity or NaN",
	"D3010": "second argument of replace function cannot be an empty string",
	"D3011": "fourth argument of replace function must evaluate to a positive number",
	"D3012": "attempted to replace a matched string with a non-string value",
	"D3020": "third argument of split function must evaluate to a positive number",
	"D3030": "unable to cast value to a number",
	"D3050": "the second argument of reduce function must be a function with at least two arguments",
	"D3060": "the sqrt function cannot be applied to a negative number",
	"D3061": "the power function has resulted in a value that cannot be represented as a JSON number",
	"D3070": "the single argument form of the sort function can only be applied to an array of strings or an array of numbers",
	"D3040": "third argument of match function must evaluate to a positive number",
	"D3080": "the picture string must only contain a maximum of two sub-pictures",
	"D3081": "the sub-picture must not contain more than one instance of the 'decimal-separator' character",
	"D3082": "the sub-picture must not contain more than one instance of the 'percent' character",
	"D3083": "the sub-picture must not contain more than one instance of the 'per-mille' character",
	"D3084": "the sub-picture must not contain both a 'percent' and a 'per-mille' character",
	"D3085": "the mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'",
	"D3086": "the sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
	"D3087": "the sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character",
	"D3088": "the sub-picture must not contain a 'grouping-separator' at the end of the integer part",
	"D3089": "the sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
	"D3090": "the integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'",
	"D3091": "the fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'",
	"D3092": "a sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'",
	"D3093": "the exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'",
	"D3100": "the radix of the formatBase function must be between 2 and 36. It was given {{value}}",
	"D3110": "the argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
	"D3120": "syntax error in expression passed to function eval: {{value}}",
	"D3121": "dynamic error evaluating the expression passed to function eval: {{value}}",
	"D3130": "formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation",
	"D3131": "in a decimal digit pattern, all digits must be from the same decimal group",
	"D3132": "unknown component specifier {{value}} in date/time picture string",
	"D3133": "the 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}",
	"D3134": "the timezone integer format specifier cannot have more than four digits",
	"D3135": "no matching closing bracket ']' in date/time picture string",
	"D3136": "the date/time picture string is missing specifiers required to parse the timestamp",
	"D3140": "malformed URL passed to function: {{value}}",
	"D1011": "stack overflow: check for non-terminating recursive function",
	"D3137": "error",
	"T1010": "the matcher function argument passed to function does not return the correct object structure",
	"D3138": "the $single() function expected exactly 1 matching result",
	"D3139": "the $single() function expected exactly 1 matching result",
	"D3141": "assertion failed",
	"U1001": "stack overflow: evaluation depth limit exceeded",
	"U1002": "evaluation step limit exceeded",
	"U1003": "feature not supported by this engine yet",
	"D3201": "no random source configured: $random() and $shuffle() need Options.Random",
	"D3200": "no clock configured: $now() and $millis() need Options.Now",
}

func codeErr(code string, pos int, token string) *Error {
	return &Error{Code: code, Position: pos, Token: token, Message: messages[code]}
}
