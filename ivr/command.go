package ivr

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Command names.
const (
	CmdPlaceCall   = "placeCall"
	CmdPlayPrompt  = "playPrompt"
	CmdWaitForDTMF = "waitForDTMF"
	CmdHangupCall  = "hangupCall"
)

// Error names reported with SendTaskFailure.
const (
	ErrInvalidInput   = "IVR.InvalidInput"
	ErrUnknownCommand = "IVR.UnknownCommand"
	ErrCallNotFound   = "IVR.CallNotFound"
	ErrHangup         = "IVR.Hangup"
	ErrPrompt         = "IVR.PromptFailed"
	ErrCallFailed     = "IVR.CallFailed"
	ErrHandoff        = "IVR.HandoffFailed"
	ErrInternal       = "IVR.Internal"
)

// TaskError is a failure with a Step Functions error name and cause.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

func taskErr(name, format string, args ...any) *TaskError {
	return &TaskError{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// Seconds is a duration given in seconds as a JSON number or a string.
type Seconds float64

// UnmarshalJSON accepts 5, 2.5 and "5".
func (s *Seconds) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*s = Seconds(f)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("want seconds as a number, got %s", b)
	}
	str = strings.TrimSuffix(strings.TrimSpace(str), "s")
	f, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return fmt.Errorf("want seconds as a number, got %q", str)
	}
	*s = Seconds(f)
	return nil
}

// Duration converts to time.Duration, or def when unset or not positive.
func (s *Seconds) Duration(def time.Duration) time.Duration {
	if s == nil || *s <= 0 {
		return def
	}
	return time.Duration(float64(*s) * float64(time.Second))
}

// Command is one decoded activity input.
type Command struct {
	Command string `json:"command"`

	// tenant is the settings of the tenant whose execution sent the
	// command (nil: none known).
	tenant *TenantSettings

	DialogID string `json:"dialogId,omitempty"`

	// placeCall
	DestinationNumber string   `json:"destinationNumber,omitempty"`
	CallerID          string   `json:"callerId,omitempty"`
	RingTimeout       *Seconds `json:"ringTimeout,omitempty"`

	// playPrompt
	Say     string `json:"say,omitempty"`
	Audio   string `json:"audio,omitempty"`
	Voice   string `json:"voice,omitempty"`
	Rate    int    `json:"rate,omitempty"`
	Loop    *int   `json:"loop,omitempty"`
	BargeIn bool   `json:"bargeIn,omitempty"`

	// waitForDTMF
	TerminationKey    *string  `json:"terminationKey,omitempty"`
	MaxDigits         int      `json:"maxDigits,omitempty"`
	Timeout           *Seconds `json:"timeout,omitempty"`
	InterDigitTimeout *Seconds `json:"interDigitTimeout,omitempty"`
	FailOnHangup      *bool    `json:"failOnHangup,omitempty"`

	// hangupCall: the seed passes the collected digits along.
	DTMFBuffer *string `json:"dtmfBuffer,omitempty"`

	// Raw is the whole input object: outputs start as a copy of it.
	Raw map[string]any `json:"-"`
}

// DecodeCommand parses an activity task input.
func DecodeCommand(input string) (*Command, error) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(input), &raw); err != nil || raw == nil {
		return nil, taskErr(ErrInvalidInput, "activity input must be a JSON object with a \"command\" field: %v", errOr(err, "got "+truncate(input, 80)))
	}
	var c Command
	if err := json.Unmarshal([]byte(input), &c); err != nil {
		return nil, taskErr(ErrInvalidInput, "bad %s input: %v", commandName(raw), err)
	}
	c.Raw = raw
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func commandName(raw map[string]any) string {
	if s, ok := raw["command"].(string); ok {
		return s
	}
	return "command"
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (c *Command) validate() error {
	switch c.Command {
	case "":
		return taskErr(ErrInvalidInput, "activity input has no \"command\" (one of placeCall, playPrompt, waitForDTMF, hangupCall)")
	case CmdPlaceCall:
		if c.DestinationNumber == "" {
			return taskErr(ErrInvalidInput, "placeCall needs destinationNumber")
		}
	case CmdPlayPrompt:
		if c.DialogID == "" {
			return taskErr(ErrInvalidInput, "playPrompt needs dialogId")
		}
		if (c.Say == "") == (c.Audio == "") {
			return taskErr(ErrInvalidInput, "playPrompt needs exactly one of say and audio")
		}
		if c.Loop != nil && (*c.Loop < 0 || *c.Loop > 1000) {
			return taskErr(ErrInvalidInput, "playPrompt loop must be 0 (until interrupted) to 1000, got %d", *c.Loop)
		}
	case CmdWaitForDTMF:
		if c.DialogID == "" {
			return taskErr(ErrInvalidInput, "waitForDTMF needs dialogId")
		}
		if c.TerminationKey != nil && len(*c.TerminationKey) > 1 {
			return taskErr(ErrInvalidInput, "waitForDTMF terminationKey must be one key (0-9, *, #, A-D) or empty, got %q", *c.TerminationKey)
		}
		if c.TerminationKey != nil && *c.TerminationKey != "" && !isDTMF(rune((*c.TerminationKey)[0])) {
			return taskErr(ErrInvalidInput, "waitForDTMF terminationKey %q is not a DTMF key", *c.TerminationKey)
		}
		if c.MaxDigits < 0 {
			return taskErr(ErrInvalidInput, "waitForDTMF maxDigits must not be negative")
		}
		if c.TerminationKey != nil && *c.TerminationKey == "" && c.MaxDigits == 0 && c.Timeout == nil {
			// Still ends on timeout (default) or hangup; allowed.
		}
	case CmdHangupCall:
		if c.DialogID == "" {
			return taskErr(ErrInvalidInput, "hangupCall needs dialogId")
		}
	default:
		return taskErr(ErrUnknownCommand, "unknown command %q (want placeCall, playPrompt, waitForDTMF or hangupCall)", c.Command)
	}
	return nil
}

func isDTMF(r rune) bool {
	return (r >= '0' && r <= '9') || r == '*' || r == '#' || (r >= 'A' && r <= 'D')
}

// output starts a command's result as a copy of its input without "command".
func (c *Command) output() map[string]any {
	out := make(map[string]any, len(c.Raw)+4)
	for k, v := range c.Raw {
		if k != "command" {
			out[k] = v
		}
	}
	return out
}
