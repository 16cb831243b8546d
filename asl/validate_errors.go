package asl

import (
	"fmt"

	"github.com/statecraft/statecraft/jsonv"
)

const (
	vdErrorAll        = "States.ALL"
	vdMaxRetryValue   = 99999999
	vdMaxDelaySeconds = 31622400 // one year plus a day, AWS's cap on MaxDelaySeconds
)

func (v *defValidator) retry(st *vdState) {
	raw, ok := st.obj.Get("Retry")
	if !ok {
		return
	}
	arr, ok := raw.([]any)
	if !ok {
		v.schema(st.field("Retry"), "Field 'Retry' must be an array of retriers, got %s", vdDescribe(raw))
		return
	}
	for i, r := range arr {
		ptr := vdPointer(st.field("Retry"), fmt.Sprint(i))
		obj, ok := r.(*jsonv.Object)
		if !ok {
			v.schema(ptr, "A retrier must be an object with 'ErrorEquals', got %s", vdDescribe(r))
			continue
		}
		if _, ok := obj.Get("ErrorEquals"); !ok {
			v.schema(ptr, "Missing required field 'ErrorEquals'; expected a non-empty array of error names")
		}
		for _, k := range jsonv.SortedKeys(obj) {
			val := obj.Value(k)
			kptr := vdPointer(ptr, k)
			switch k {
			case "ErrorEquals":
				v.errorEquals(kptr, val, i == len(arr)-1, "retrier")
			case "Comment":
				v.wantString(kptr, k, val)
			case "IntervalSeconds":
				v.wantInt(kptr, k, val, 1, vdMaxRetryValue, false)
			case "MaxAttempts":
				v.wantInt(kptr, k, val, 0, vdMaxRetryValue, false)
			case "MaxDelaySeconds":
				v.wantInt(kptr, k, val, 1, vdMaxDelaySeconds, false)
			case "BackoffRate":
				if f, ok := vdFiniteNumber(val); !ok || f < 1 {
					v.schema(kptr, "Field 'BackoffRate' must be a number greater than or equal to 1.0, got %s", vdDescribe(val))
				}
			case "JitterStrategy":
				if s, _ := val.(string); s != "FULL" && s != "NONE" {
					v.schema(kptr, "Field 'JitterStrategy' must be \"FULL\" or \"NONE\", got %s", vdDescribe(val))
				}
			default:
				v.schema(kptr, "Field '%s' is not supported in a retrier; expected ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy or Comment", k)
			}
		}
	}
}

func (v *defValidator) catch(st *vdState) {
	raw, ok := st.obj.Get("Catch")
	if !ok {
		return
	}
	arr, ok := raw.([]any)
	if !ok {
		v.schema(st.field("Catch"), "Field 'Catch' must be an array of catchers, got %s", vdDescribe(raw))
		return
	}
	expected := "ErrorEquals, Next, ResultPath, Assign or Comment"
	if st.jsonata {
		expected = "ErrorEquals, Next, Output, Assign or Comment"
	}
	for i, c := range arr {
		ptr := vdPointer(st.field("Catch"), fmt.Sprint(i))
		obj, ok := c.(*jsonv.Object)
		if !ok {
			v.schema(ptr, "A catcher must be an object with 'ErrorEquals' and 'Next', got %s", vdDescribe(c))
			continue
		}
		for _, k := range []string{"ErrorEquals", "Next"} {
			if _, ok := obj.Get(k); !ok {
				if k == "Next" {
					v.schema(ptr, "Missing required field 'Next'; expected the name of the state to go to when the error is caught")
				} else {
					v.schema(ptr, "Missing required field 'ErrorEquals'; expected a non-empty array of error names")
				}
			}
		}
		for _, k := range jsonv.SortedKeys(obj) {
			val := obj.Value(k)
			kptr := vdPointer(ptr, k)
			switch k {
			case "ErrorEquals":
				v.errorEquals(kptr, val, i == len(arr)-1, "catcher")
			case "Next":
				if name, ok := val.(string); ok {
					st.edges = append(st.edges, vdEdge{target: name, ptr: kptr})
				} else {
					v.schema(kptr, "Field 'Next' must be a string naming the state to go to, got %s", vdDescribe(val))
				}
			case "Comment":
				v.wantString(kptr, k, val)
			case "Assign":
				v.assign(kptr, val, st.jsonata, st.depth)
			case "ResultPath":
				if st.jsonata {
					v.schema(kptr, "Field 'ResultPath' is not supported when QueryLanguage is JSONata; use 'Output' or 'Assign' with $states.errorOutput instead")
				} else {
					v.pathField(kptr, k, val, true, true)
				}
			case "Output":
				if !st.jsonata {
					v.schema(kptr, "Field 'Output' is only supported when QueryLanguage is JSONata; in a JSONPath catcher use 'ResultPath'")
				}
			default:
				v.schema(kptr, "Field '%s' is not supported in a catcher; expected %s", k, expected)
			}
		}
	}
}

// errorEquals checks one ErrorEquals list. States.ALL matches everything,
// so anything beside or after it could never be reached.
func (v *defValidator) errorEquals(ptr string, val any, last bool, what string) {
	arr, ok := val.([]any)
	if !ok || len(arr) == 0 {
		v.schema(ptr, "Field 'ErrorEquals' must be a non-empty array of error names, got %s", vdDescribe(val))
		return
	}
	hasAll := false
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			v.schema(vdPointer(ptr, fmt.Sprint(i)), "An error name must be a string, got %s", vdDescribe(e))
			continue
		}
		if s == vdErrorAll {
			hasAll = true
		}
	}
	if hasAll && len(arr) > 1 {
		v.schema(ptr, "'States.ALL' must appear alone in ErrorEquals; remove the other error names")
	}
	if hasAll && !last {
		v.schema(ptr, "'States.ALL' may only appear in the last %s; move this %s to the end", what, what)
	}
}
