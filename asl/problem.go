package asl

import (
	"sort"
	"strings"
)

// Problem is one thing wrong with a definition.
type Problem struct {
	Pointer string // JSON pointer (RFC 6901) into the definition, e.g. "/States/placeCall/Next"; "" for the document itself
	Code    string // AWS diagnostic code: "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET", "INVALID_JSON_DESCRIPTION", "UNREACHABLE_STATE" etc.
	Message string // says what is wrong and what was expected
}

// String formats the problem as "POINTER: message", the line format of
// `statecraft validate`; the document itself is shown as "/".
func (p Problem) String() string {
	ptr := p.Pointer
	if ptr == "" {
		ptr = "/"
	}
	return ptr + ": " + p.Message
}

// Diagnostic codes. Most are the codes AWS's ValidateStateMachineDefinition
// uses. UNREACHABLE_STATE is ours (AWS files unreachable states under
// MISSING_TRANSITION_TARGET) so that callers can tell the two apart, and so
// is NOT_IMPLEMENTED: AWS would accept the definition, Statecraft refuses a
// field it cannot run rather than run the machine as if it were absent.
const (
	CodeInvalidJSON        = "INVALID_JSON_DESCRIPTION"
	CodeMissingDescription = "MISSING_DESCRIPTION"
	CodeSchema             = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTarget      = "MISSING_TRANSITION_TARGET"
	CodeUnreachable        = "UNREACHABLE_STATE"
	CodeMissingEnd         = "MISSING_END_STATE"
	CodeDuplicateState     = "DUPLICATE_STATE_NAME"
	CodeInvalidStateName   = "INVALID_STATE_NAME"
	CodeDuplicateLabel     = "DUPLICATE_LABEL_NAME"
	CodeInvalidLabel       = "INVALID_LABEL_NAME"
	CodeInvalidResource    = "INVALID_RESOURCE"
	CodeTooDeeplyNested    = "TOO_DEEPLY_NESTED"
	CodeNotImplemented     = "NOT_IMPLEMENTED"
	CodeInternal           = "INTERNAL_ERROR"
)

// sortProblems orders problems by pointer, then message, then code, and
// drops exact duplicates, so that output is stable whatever order the
// checks ran in (Go map iteration is random).
func sortProblems(ps []Problem) []Problem {
	if len(ps) == 0 {
		return nil
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c < 0
		}
		if c := strings.Compare(a.Message, b.Message); c != 0 {
			return c < 0
		}
		return a.Code < b.Code
	})
	out := ps[:1]
	for _, p := range ps[1:] {
		if p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return out
}

// vdPointer appends reference tokens to a JSON pointer, escaping '~' and
// '/' as RFC 6901 requires (state names may contain either).
func vdPointer(base string, tokens ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, t := range tokens {
		b.WriteByte('/')
		if strings.ContainsAny(t, "~/") {
			t = strings.ReplaceAll(t, "~", "~0")
			t = strings.ReplaceAll(t, "/", "~1")
		}
		b.WriteString(t)
	}
	return b.String()
}
