package engine

import (
	"encoding/json"

	"github.com/statecraft/statecraft/jsonv"
)

// Input is an execution's input: the JSON text as the caller gave it (what
// DescribeExecution returns) and its value, parsed once.
type Input struct {
	Text  string
	Value any
}

// ParseInput parses an execution's input. It is stricter than the shared
// parser, which accepts some malformed text (an object member without a
// value, {"a":}): an execution must not start on input AWS would refuse.
// The error, which Is ErrInvalidInput, says what is wrong with the text.
func ParseInput(text string) (*Input, error) {
	if !json.Valid([]byte(text)) {
		if _, err := jsonv.ParseString(text); err != nil {
			return nil, inputError{err}
		}
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, inputError{err}
		}
	}
	v, err := jsonv.ParseString(text)
	if err != nil {
		return nil, inputError{err}
	}
	return &Input{Text: text, Value: v}, nil
}

type inputError struct{ err error }

func (e inputError) Error() string        { return e.err.Error() }
func (e inputError) Unwrap() error        { return e.err }
func (e inputError) Is(target error) bool { return target == ErrInvalidInput }
