package crashkit

import (
	"encoding/json"
	"fmt"
)

// WorkDecision is the answer of the tests' work activity, for executions
// taken in groups of group by their i: the first group of every five
// fails for good, the second is rejected, and the others fail twice as
// flaky before they succeed. It depends only on the task input (the
// execution's i and $$.State.RetryCount as "try"), so a task handed out
// again, after a restart or a timeout, gets the answer a first delivery
// of the same try would have got.
func WorkDecision(group int) func(input string) (output, errName, cause string) {
	return func(input string) (output, errName, cause string) {
		var in struct {
			I   int `json:"i"`
			Try int `json:"try"`
		}
		if err := json.Unmarshal([]byte(input), &in); err != nil {
			return "", "Custom.BadInput", err.Error()
		}
		switch k := in.I / group; {
		case k%5 == 0:
			return "", "Custom.Fatal", fmt.Sprintf("fatal for %d", in.I)
		case k%5 == 1:
			return "", "Custom.Reject", fmt.Sprintf("rejected %d", in.I)
		case in.Try < 2:
			return "", "Custom.Flaky", fmt.Sprintf("flaky %d (try %d)", in.I, in.Try)
		}
		return fmt.Sprintf(`{"i":%d,"sq":%d,"try":%d}`, in.I, in.I*in.I, in.Try), "", ""
	}
}

// BeatDecision is the answer of the tests' heartbeat activity once it has
// worked (and heartbeaten) for a while.
func BeatDecision(input string) (output, errName, cause string) {
	var in struct {
		I     int    `json:"i"`
		Label string `json:"label"`
	}
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return "", "Custom.BadInput", err.Error()
	}
	return fmt.Sprintf(`{"i":%d,"half":%d,"label":%q,"worker":"beat"}`, in.I, in.I/2, in.Label), "", ""
}
