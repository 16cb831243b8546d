package ivr_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/ivrtest"
)

// The alarm workflow, unchanged but for its Resource ARNs, against a real
// Statecraft server and the media service worker over the public activity
// API, with fake phones.
func TestAlarmWorkflowFakePhones(t *testing.T) {
	s := startServer(t)
	act, sm := s.deployAlarm(t)
	be := &ivrtest.Backend{Phones: map[string]ivrtest.Phone{
		// keys the PIN while the prompt plays (type-ahead)
		"+4610": {Keys: "1234#", After: 20 * time.Millisecond},
		"+4611": {Keys: "9999#", After: 20 * time.Millisecond},
		// hangs up without keying anything
		"+4612": {HangupAfter: 100 * time.Millisecond},
		"+4613": {Status: ivr.StatusBusy},
	}, PromptDuration: 500 * time.Millisecond}
	runWorker(t, s, ivr.Config{ActivityArn: act, Backend: be, Prompts: ivrtest.Prompts{}, Pollers: 3})

	ok := s.start(t, sm, "right-pin", `{"destinationNumber": "+4610", "pin": "1234"}`)
	bad := s.start(t, sm, "wrong-pin", `{"destinationNumber": "+4611", "pin": "1234"}`)
	gone := s.start(t, sm, "hangup", `{"destinationNumber": "+4612", "pin": "1234"}`)
	busy := s.start(t, sm, "busy", `{"destinationNumber": "+4613", "pin": "1234"}`)

	if out := s.wait(t, ok, 20*time.Second); out.Status != types.ExecutionStatusSucceeded {
		s.dumpHistory(t, ok)
		t.Fatalf("right PIN: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	out := s.wait(t, bad, 20*time.Second)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "ErrorA" || aws.ToString(out.Cause) != "Invalid code." {
		s.dumpHistory(t, bad)
		t.Fatalf("wrong PIN: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	out = s.wait(t, gone, 20*time.Second)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != ivr.ErrHangup || !strings.Contains(aws.ToString(out.Cause), "hung up") {
		s.dumpHistory(t, gone)
		t.Fatalf("hang-up: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	out = s.wait(t, busy, 20*time.Second)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != ivr.ErrCallNotFound {
		s.dumpHistory(t, busy)
		t.Fatalf("busy: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	for _, dest := range []string{"+4610", "+4611"} {
		calls := be.CallsTo(dest)
		if len(calls) != 1 {
			t.Fatalf("%s: %d calls", dest, len(calls))
		}
		if ended, byUs := calls[0].Ended(); !ended || !byUs {
			t.Errorf("%s: ended %v by us %v, want hung up by hangupCall", dest, ended, byUs)
		}
		if fmt.Sprint(calls[0].Played) != "[say:The alarm has been started. Please confirm with your PIN code]" {
			t.Errorf("%s: played %v", dest, calls[0].Played)
		}
	}
}
