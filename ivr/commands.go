package ivr

import (
	"context"
	"errors"
	"time"
)

// Defaults for command parameters the input leaves out.
const (
	DefaultRingTimeout       = 30 * time.Second
	DefaultDTMFTimeout       = 30 * time.Second // wait for the first key
	DefaultInterDigitTimeout = 10 * time.Second // wait between keys
	DefaultTerminationKey    = "#"
	keepEndedCalls           = 2 * time.Minute
)

// Prompter turns a playPrompt's say or audio into a WAV file to play.
type Prompter interface {
	// Say renders text (cached by text, voice and rate).
	Say(ctx context.Context, text, voice string, rate int) (string, error)
	// Audio returns a playable copy of an audio file.
	Audio(ctx context.Context, src string) (string, error)
}

// execute runs one command on this worker.
func (w *Worker) execute(ctx context.Context, c *Command) (map[string]any, error) {
	switch c.Command {
	case CmdPlaceCall:
		return w.placeCall(ctx, c)
	case CmdPlayPrompt:
		return w.playPrompt(ctx, c)
	case CmdWaitForDTMF:
		return w.waitForDTMF(ctx, c)
	case CmdHangupCall:
		return w.hangupCall(ctx, c)
	}
	return nil, taskErr(ErrUnknownCommand, "unknown command %q", c.Command)
}

func (w *Worker) placeCall(ctx context.Context, c *Command) (map[string]any, error) {
	id := newDialogID(w.self())
	cs := newCallState(id, c.DestinationNumber)
	callerID, trunk := c.CallerID, ""
	if c.tenant != nil {
		trunk = c.tenant.Trunk
		if callerID == "" {
			callerID = c.tenant.CallerID
		}
	}
	if callerID == "" {
		callerID = w.cfg.DefaultCallerID
	}
	call, status, err := w.cfg.Backend.Dial(ctx, DialRequest{
		Destination: c.DestinationNumber,
		Trunk:       trunk,
		CallerID:    callerID,
		RingTimeout: c.RingTimeout.Duration(DefaultRingTimeout),
		OnDigit:     cs.addDigit,
	})
	if err != nil {
		var te *TaskError
		if errors.As(err, &te) {
			return nil, te
		}
		return nil, taskErr(ErrCallFailed, "placeCall to %s: %v", c.DestinationNumber, err)
	}
	out := c.output()
	out["dialogId"] = id
	if call == nil {
		if status == "" || status == StatusAnswered {
			status = StatusFailed
		}
		out["status"] = status
		w.log.Info("call not answered", "dialogId", id, "destination", c.DestinationNumber, "status", status)
		return out, nil
	}
	cs.call = call
	w.reg.add(cs)
	w.watch(cs)
	w.log.Info("call answered", "dialogId", id, "destination", c.DestinationNumber)
	out["status"] = StatusAnswered
	return out, nil
}

// watch marks a held call ended when it ends, and forgets it a while later.
func (w *Worker) watch(cs *callState) {
	go func() {
		<-cs.call.Done()
		cs.markEnded(false)
		w.log.Info("call ended", "dialogId", cs.id)
		t := time.NewTimer(keepEndedCalls)
		defer t.Stop()
		select {
		case <-t.C:
		case <-w.stopping:
		}
		w.reg.remove(cs.id)
	}()
}

// lookup finds a live call or explains why it cannot be used.
func (w *Worker) lookup(c *Command) (*callState, error) {
	cs := w.reg.get(c.DialogID)
	if cs == nil {
		return nil, taskErr(ErrCallNotFound, "%s: no call %q on this media service (never placed, ended more than %s ago, or its worker restarted)", c.Command, c.DialogID, keepEndedCalls)
	}
	return cs, nil
}

func hangupErr(c *Command, cs *callState, digits []rune) error {
	cs.mu.Lock()
	byUs := cs.byUs
	cs.mu.Unlock()
	who := "the called party hung up"
	if byUs {
		who = "the call was hung up by hangupCall"
	}
	if len(digits) > 0 {
		return taskErr(ErrHangup, "%s on call %s: %s (digits keyed so far: %q)", c.Command, c.DialogID, who, string(digits))
	}
	return taskErr(ErrHangup, "%s on call %s: %s", c.Command, c.DialogID, who)
}

func (w *Worker) playPrompt(ctx context.Context, c *Command) (map[string]any, error) {
	cs, err := w.lookup(c)
	if err != nil {
		return nil, err
	}
	if _, ended, _ := cs.snapshot(); ended {
		return nil, hangupErr(c, cs, nil)
	}
	if w.cfg.Prompts == nil {
		return nil, taskErr(ErrPrompt, "playPrompt: this media service has no prompt renderer")
	}
	var path string
	if c.Say != "" {
		voice := c.Voice
		if voice == "" && c.tenant != nil {
			voice = c.tenant.Voice
		}
		path, err = w.cfg.Prompts.Say(ctx, c.Say, voice, c.Rate)
	} else {
		path, err = w.cfg.Prompts.Audio(ctx, c.Audio)
	}
	if err != nil {
		return nil, taskErr(ErrPrompt, "playPrompt on %s: %v", c.DialogID, err)
	}

	playCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	bargedIn := make(chan struct{})
	go func() {
		digits, _, ch := cs.snapshot()
		n := len(digits)
		for {
			select {
			case <-playCtx.Done():
				return
			case <-ch:
			}
			var ended bool
			digits, ended, ch = cs.snapshot()
			if ended {
				cancel()
				return
			}
			if c.BargeIn && len(digits) > n {
				close(bargedIn)
				cancel()
				return
			}
		}
	}()

	loops := 1
	if c.Loop != nil {
		loops = *c.Loop
	}
	status := "completed"
	for i := 0; loops == 0 || i < loops; i++ {
		played := make(chan error, 1)
		go func() { played <- cs.call.Play(playCtx, path) }()
		var perr error
		select {
		case perr = <-played:
		case <-playCtx.Done():
			// Interrupted (barge-in, hangup) or the task ended: answer
			// now. The playback stops on its own at its next 20 ms frame,
			// which is no reason to hold up the workflow.
			perr = playCtx.Err()
		}
		if perr == nil && playCtx.Err() == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		_, ended, _ := cs.snapshot()
		select {
		case <-bargedIn:
			status = "interrupted"
		default:
			switch {
			case ended:
				cs.mu.Lock()
				byUs := cs.byUs
				cs.mu.Unlock()
				status = "hangup"
				if byUs {
					status = "interrupted"
				}
			case perr != nil:
				return nil, taskErr(ErrPrompt, "playPrompt on %s: %v", c.DialogID, perr)
			}
		}
		break
	}
	out := c.output()
	out["playStatus"] = status
	return out, nil
}

// Reasons a waitForDTMF ended.
const (
	ReasonTerminator = "terminator"
	ReasonMaxDigits  = "maxDigits"
	ReasonTimeout    = "timeout"
	ReasonHangup     = "hangup"
)

func (w *Worker) waitForDTMF(ctx context.Context, c *Command) (map[string]any, error) {
	cs, err := w.lookup(c)
	if err != nil {
		return nil, err
	}
	term := DefaultTerminationKey
	if c.TerminationKey != nil {
		term = *c.TerminationKey
	}
	first := c.Timeout.Duration(DefaultDTMFTimeout)
	inter := c.InterDigitTimeout.Duration(DefaultInterDigitTimeout)
	failOnHangup := c.FailOnHangup == nil || *c.FailOnHangup

	deadline := time.Now().Add(first)
	seen := 0
	var buffer []rune
	reason := ""
	for reason == "" {
		digits, ended, changed := cs.snapshot()
		for i, d := range digits {
			if term != "" && d == rune(term[0]) {
				cs.consume(i + 1)
				buffer, reason = digits[:i], ReasonTerminator
				break
			}
			if c.MaxDigits > 0 && i+1 >= c.MaxDigits {
				cs.consume(i + 1)
				buffer, reason = digits[:i+1], ReasonMaxDigits
				break
			}
		}
		if reason != "" {
			break
		}
		if len(digits) > seen {
			seen = len(digits)
			deadline = time.Now().Add(inter)
		}
		if ended {
			cs.consume(len(digits))
			if failOnHangup {
				return nil, hangupErr(c, cs, digits)
			}
			buffer, reason = digits, ReasonHangup
			break
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
			cs.consume(len(digits))
			buffer, reason = digits, ReasonTimeout
		}
	}
	buf := string(buffer)
	cs.mu.Lock()
	cs.lastBuffer = buf
	cs.mu.Unlock()
	w.log.Info("dtmf collected", "dialogId", c.DialogID, "reason", reason, "digits", len(buf))
	out := c.output()
	out["dtmfBuffer"] = buf
	out["reason"] = reason
	out["dtmfParams"] = map[string]any{"dtmfBuffer": buf, "reason": reason, "terminationKey": term}
	return out, nil
}

func (w *Worker) hangupCall(ctx context.Context, c *Command) (map[string]any, error) {
	out := c.output()
	cs := w.reg.get(c.DialogID)
	status := "hungUp"
	last := ""
	if cs == nil {
		status = "notFound" // idempotent: a retried hangupCall succeeds
	} else {
		_, ended, _ := cs.snapshot()
		if ended {
			status = "alreadyEnded"
		}
		cs.markEnded(true)
		if err := cs.call.Hangup(ctx); err != nil {
			w.log.Warn("hangup", "dialogId", c.DialogID, "err", err)
		}
		cs.mu.Lock()
		last = cs.lastBuffer
		cs.mu.Unlock()
	}
	out["status"] = status
	if _, ok := out["dtmfParams"].(map[string]any); !ok {
		buf := last
		if c.DTMFBuffer != nil {
			buf = *c.DTMFBuffer
		}
		out["dtmfParams"] = map[string]any{"dtmfBuffer": buf}
	}
	return out, nil
}
