package ivr

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingBackend answers every call and records what was dialled.
type recordingBackend struct {
	testBackend
	mu  sync.Mutex
	req []DialRequest
}

func (b *recordingBackend) Dial(ctx context.Context, req DialRequest) (Call, string, error) {
	b.mu.Lock()
	b.req = append(b.req, req)
	b.mu.Unlock()
	return b.testBackend.Dial(ctx, req)
}

// voicePrompts records the voice of each prompt and plays nothing.
type voicePrompts struct {
	mu     sync.Mutex
	voices []string
}

func (p *voicePrompts) Say(ctx context.Context, text, voice string, rate int) (string, error) {
	p.mu.Lock()
	p.voices = append(p.voices, voice)
	p.mu.Unlock()
	return text, nil
}
func (p *voicePrompts) Audio(ctx context.Context, src string) (string, error) { return src, nil }

// A tenant's execution's calls use its trunk, caller id and voice; the
// command's own callerId and voice win; an execution of no tenant gets
// the service's defaults.
func TestTenantSettingsOfCalls(t *testing.T) {
	api := newFakeAPI()
	be := &recordingBackend{}
	prompts := &voicePrompts{}
	acme := &TenantSettings{Tenant: "acme", Trunk: "alpha", CallerID: "+46111", Voice: "sv"}
	w := NewWorker(api, Config{ActivityArn: "arn", Backend: be, Prompts: prompts, HeartbeatInterval: 20 * time.Millisecond,
		DefaultCallerID: "+46100", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		TenantOf: func(token string) *TenantSettings {
			if strings.HasPrefix(token, "acme-") {
				return acme
			}
			return nil
		}})
	run := func(token, input string) map[string]any {
		t.Helper()
		w.handle(token, input)
		r := api.wait(t, token)
		if r.name != "" {
			t.Fatalf("%s: %s %s", token, r.name, r.cause)
		}
		return r.out
	}
	hangup := func(id string) {
		w.handle("hangup-"+id, `{"command":"hangupCall","dialogId":"`+id+`"}`)
		api.wait(t, "hangup-"+id)
	}
	for i, c := range []struct {
		token, input         string
		trunk, caller, voice string
	}{
		{"acme-1", `{"command":"placeCall","destinationNumber":"+4671"}`, "alpha", "+46111", "sv"},
		{"acme-2", `{"command":"placeCall","destinationNumber":"+4672","callerId":"+46999"}`, "alpha", "+46999", "en-gb"},
		{"other-1", `{"command":"placeCall","destinationNumber":"+4673"}`, "", "+46100", ""},
	} {
		out := run(c.token, c.input)
		id := out["dialogId"].(string)
		voice := ""
		if c.voice == "en-gb" {
			voice = `,"voice":"en-gb"`
		}
		playToken := strings.Split(c.token, "-")[0] + "-play-" + c.token
		go w.handle(playToken, `{"command":"playPrompt","dialogId":"`+id+`","say":"hi","loop":1`+voice+`}`)
		// The prompt plays until the call ends: hang up once it is said.
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
			prompts.mu.Lock()
			n := len(prompts.voices)
			prompts.mu.Unlock()
			if n == i+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no prompt said", c.token)
			}
		}
		hangup(id)
		api.wait(t, playToken)
		be.mu.Lock()
		got := be.req[len(be.req)-1]
		be.mu.Unlock()
		prompts.mu.Lock()
		v := prompts.voices[len(prompts.voices)-1]
		prompts.mu.Unlock()
		if got.Trunk != c.trunk || got.CallerID != c.caller || v != c.voice {
			t.Errorf("%s: trunk %q caller %q voice %q, want %q %q %q", c.token, got.Trunk, got.CallerID, v, c.trunk, c.caller, c.voice)
		}
	}
}
