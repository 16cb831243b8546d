package awssdk

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
)

// FieldError is a field of a state's Parameters (or Arguments) that the
// action's input shape does not have.
type FieldError struct {
	// Field is the field's name as written, without a ".$" suffix.
	Field string
	// Path is where the field is below Parameters: the object keys (as
	// written, ".$" included) and array indices leading to it, then the
	// field as written; a JSON pointer's tokens.
	Path []string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("The field %q is not supported by Step Functions", e.Field)
}

// CheckParameters checks a Task state's Parameters for aws-sdk:service:
// action as written in the definition, before any execution: every field,
// at every depth the static value reaches, must be a member of the
// action's input shape (a "Key.$" field is checked by its name; the value
// it selects is known only at run time, where Invoke checks it). It
// returns a *FieldError for the first field that is not, which a
// validator reports as Step Functions does at CreateStateMachine
// (SCHEMA_VALIDATION_FAILED: The field "X" is not supported by Step
// Functions), or nil. Types are not checked here: a JSONata expression or
// a path can stand where any value goes.
func CheckParameters(service, act string, params any) error {
	m, ok := action(service, act)
	if !ok {
		return fmt.Errorf("aws-sdk:%s:%s is not a supported action", service, act)
	}
	return checkFields(params, m.Type.In(2).Elem(), nil)
}

// checkFields checks v against t; path leads to v from Parameters.
func checkFields(v any, t reflect.Type, path []string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t == bytesType {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		o, ok := v.(*jsonv.Object)
		if !ok {
			return nil
		}
		for k, fv := range o.All() {
			name, dynamic := strings.CutSuffix(k, ".$")
			f, ok := t.FieldByName(name)
			if !ok || !f.IsExported() || len(f.Index) != 1 || f.Name == "ResultMetadata" {
				return &FieldError{Field: name, Path: append(slices.Clip(path), k)}
			}
			if !dynamic {
				if err := checkFields(fv, f.Type, append(slices.Clip(path), k)); err != nil {
					return err
				}
			}
		}
	case reflect.Interface:
		members, ok := unions[t]
		o, isObj := v.(*jsonv.Object)
		if !ok || !isObj {
			return nil
		}
		for k, fv := range o.All() {
			name, dynamic := strings.CutSuffix(k, ".$")
			mt, ok := members[name]
			if !ok {
				return &FieldError{Field: name, Path: append(slices.Clip(path), k)}
			}
			if f, _ := mt.FieldByName("Value"); !dynamic {
				if err := checkFields(fv, f.Type, append(slices.Clip(path), k)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice:
		a, _ := v.([]any)
		for i, e := range a {
			if err := checkFields(e, t.Elem(), append(slices.Clip(path), strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case reflect.Map:
		o, _ := v.(*jsonv.Object)
		for k, fv := range o.All() {
			if strings.HasSuffix(k, ".$") {
				continue
			}
			if err := checkFields(fv, t.Elem(), append(slices.Clip(path), k)); err != nil {
				return err
			}
		}
	}
	return nil
}
