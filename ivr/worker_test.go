package ivr

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// fakeAPI records what a worker reports.
type fakeAPI struct {
	mu         sync.Mutex
	results    map[string]chan result
	heartbeats int
	gone       bool // heartbeats answer TaskTimedOut
}

type result struct {
	out         map[string]any
	name, cause string
}

func newFakeAPI() *fakeAPI { return &fakeAPI{results: map[string]chan result{}} }

func (f *fakeAPI) ch(token string) chan result {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.results[token]
	if c == nil {
		c = make(chan result, 1)
		f.results[token] = c
	}
	return c
}

func (f *fakeAPI) GetActivityTask(ctx context.Context, in *sfn.GetActivityTaskInput, _ ...func(*sfn.Options)) (*sfn.GetActivityTaskOutput, error) {
	<-ctx.Done()
	return &sfn.GetActivityTaskOutput{}, nil
}

func (f *fakeAPI) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	var out map[string]any
	_ = json.Unmarshal([]byte(*in.Output), &out)
	f.ch(*in.TaskToken) <- result{out: out}
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *fakeAPI) SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.ch(*in.TaskToken) <- result{name: *in.Error, cause: *in.Cause}
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *fakeAPI) SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, _ ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heartbeats++
	if f.gone {
		return nil, &types.TaskTimedOut{Message: aws.String("gone")}
	}
	return &sfn.SendTaskHeartbeatOutput{}, nil
}

func (f *fakeAPI) wait(t *testing.T, token string) result {
	t.Helper()
	select {
	case r := <-f.ch(token):
		return r
	case <-time.After(2 * time.Minute):
		t.Fatalf("no result for %s", token)
	}
	return result{}
}

// testCall is a minimal Call.
type testCall struct {
	done chan struct{}
	once sync.Once
}

func (c *testCall) Play(ctx context.Context, path string) error {
	select {
	case <-time.After(time.Hour):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return context.Canceled
	}
}
func (c *testCall) Hangup(ctx context.Context) error { c.once.Do(func() { close(c.done) }); return nil }
func (c *testCall) Done() <-chan struct{}            { return c.done }

type testBackend struct {
	mu    sync.Mutex
	keys  map[string]func(rune) // destination -> OnDigit
	calls map[string]*testCall
}

func (b *testBackend) Dial(ctx context.Context, req DialRequest) (Call, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keys == nil {
		b.keys, b.calls = map[string]func(rune){}, map[string]*testCall{}
	}
	if req.Destination == "busy" {
		return nil, StatusBusy, nil
	}
	c := &testCall{done: make(chan struct{})}
	b.keys[req.Destination], b.calls[req.Destination] = req.OnDigit, c
	return c, StatusAnswered, nil
}

func (b *testBackend) key(dest, keys string) {
	b.mu.Lock()
	f := b.keys[dest]
	b.mu.Unlock()
	for _, k := range keys {
		f(k)
	}
}

type testPrompts struct{}

func (testPrompts) Say(ctx context.Context, text, voice string, rate int) (string, error) {
	return text, nil
}
func (testPrompts) Audio(ctx context.Context, src string) (string, error) { return src, nil }

func newTestWorker(api ActivityAPI, be Backend) *Worker {
	return NewWorker(api, Config{ActivityArn: "arn", Backend: be, Prompts: testPrompts{}, HeartbeatInterval: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func place(t *testing.T, w *Worker, api *fakeAPI, dest string) string {
	t.Helper()
	w.handle("place-"+dest, `{"command":"placeCall","destinationNumber":"`+dest+`","extra":7}`)
	r := api.wait(t, "place-"+dest)
	if r.out["status"] != StatusAnswered || r.out["extra"] != 7.0 {
		t.Fatalf("placeCall: %+v", r)
	}
	return r.out["dialogId"].(string)
}

func TestDecodeCommand(t *testing.T) {
	for in, want := range map[string]string{
		`[]`:                      ErrInvalidInput,
		`{}`:                      ErrInvalidInput,
		`{"command":"dance"}`:     ErrUnknownCommand,
		`{"command":"placeCall"}`: ErrInvalidInput,
		`{"command":"playPrompt","dialogId":"x"}`:                        ErrInvalidInput,
		`{"command":"waitForDTMF","dialogId":"x","terminationKey":"##"}`: ErrInvalidInput,
		`{"command":"waitForDTMF","dialogId":"x","timeout":"soon"}`:      ErrInvalidInput,
		`{"command":"hangupCall"}`:                                       ErrInvalidInput,
	} {
		_, err := DecodeCommand(in)
		te, ok := err.(*TaskError)
		if !ok || te.Name != want {
			t.Errorf("%s: %v, want %s", in, err, want)
		}
	}
	c, err := DecodeCommand(`{"command":"waitForDTMF","dialogId":"d@h:1","terminationKey":"*","maxDigits":4,"timeout":"2.5","interDigitTimeout":3}`)
	if err != nil || *c.TerminationKey != "*" || c.MaxDigits != 4 || c.Timeout.Duration(0) != 2500*time.Millisecond || c.InterDigitTimeout.Duration(0) != 3*time.Second {
		t.Fatalf("%+v %v", c, err)
	}
	if ownerOf("d1@10.0.0.1:7090") != "10.0.0.1:7090" {
		t.Fatal("ownerOf")
	}
}

func TestWaitForDTMF(t *testing.T) {
	api, be := newFakeAPI(), &testBackend{}
	w := newTestWorker(api, be)
	id := place(t, w, api, "a")

	// digits keyed before waitForDTMF starts are kept (type-ahead)
	be.key("a", "12#34")
	w.handle("w1", `{"command":"waitForDTMF","dialogId":"`+id+`"}`)
	r := api.wait(t, "w1")
	if r.out["dtmfBuffer"] != "12" || r.out["reason"] != ReasonTerminator {
		t.Fatalf("terminator: %+v", r)
	}
	if p := r.out["dtmfParams"].(map[string]any); p["dtmfBuffer"] != "12" {
		t.Fatalf("dtmfParams: %+v", p)
	}
	// the rest stays buffered; maxDigits ends the next one
	go w.handle("w2", `{"command":"waitForDTMF","dialogId":"`+id+`","maxDigits":3}`)
	time.Sleep(20 * time.Millisecond)
	be.key("a", "5")
	if r := api.wait(t, "w2"); r.out["dtmfBuffer"] != "345" || r.out["reason"] != ReasonMaxDigits {
		t.Fatalf("maxDigits: %+v", r)
	}
	// timeout with nothing, then inter-digit timeout with some
	w.handle("w3", `{"command":"waitForDTMF","dialogId":"`+id+`","timeout":0.1}`)
	if r := api.wait(t, "w3"); r.out["dtmfBuffer"] != "" || r.out["reason"] != ReasonTimeout {
		t.Fatalf("timeout: %+v", r)
	}
	go w.handle("w4", `{"command":"waitForDTMF","dialogId":"`+id+`","timeout":5,"interDigitTimeout":0.1}`)
	time.Sleep(20 * time.Millisecond)
	be.key("a", "9")
	if r := api.wait(t, "w4"); r.out["dtmfBuffer"] != "9" || r.out["reason"] != ReasonTimeout {
		t.Fatalf("interDigit: %+v", r)
	}
	// a hang-up fails the waiting task, naming the digits so far
	go w.handle("w5", `{"command":"waitForDTMF","dialogId":"`+id+`"}`)
	time.Sleep(20 * time.Millisecond)
	be.key("a", "7")
	time.Sleep(20 * time.Millisecond)
	be.mu.Lock()
	c := be.calls["a"]
	be.mu.Unlock()
	c.once.Do(func() { close(c.done) }) // the far end hangs up
	r = api.wait(t, "w5")
	if r.name != ErrHangup || !strings.Contains(r.cause, "called party hung up") || !strings.Contains(r.cause, `"7"`) {
		t.Fatalf("hangup: %+v", r)
	}
	// later commands get a clear error; hangupCall stays idempotent
	w.handle("p1", `{"command":"playPrompt","dialogId":"`+id+`","say":"hi"}`)
	if r := api.wait(t, "p1"); r.name != ErrHangup {
		t.Fatalf("prompt after hangup: %+v", r)
	}
	w.handle("h1", `{"command":"hangupCall","dialogId":"`+id+`","dtmfBuffer":"12"}`)
	if r := api.wait(t, "h1"); r.out["status"] != "alreadyEnded" || r.out["dtmfParams"].(map[string]any)["dtmfBuffer"] != "12" {
		t.Fatalf("hangupCall: %+v", r)
	}
	w.handle("x", `{"command":"playPrompt","dialogId":"nope@local","say":"hi"}`)
	if r := api.wait(t, "x"); r.name != ErrCallNotFound {
		t.Fatalf("unknown call: %+v", r)
	}
}

func TestPlayPromptHeartbeatsAndHangup(t *testing.T) {
	api, be := newFakeAPI(), &testBackend{}
	w := newTestWorker(api, be)
	id := place(t, w, api, "b")
	go w.handle("p", `{"command":"playPrompt","dialogId":"`+id+`","say":"long","bargeIn":true}`)
	time.Sleep(200 * time.Millisecond)
	be.key("b", "1") // barge-in
	if r := api.wait(t, "p"); r.out["playStatus"] != "interrupted" {
		t.Fatalf("barge-in: %+v", r)
	}
	api.mu.Lock()
	hb := api.heartbeats
	api.mu.Unlock()
	if hb < 2 {
		t.Errorf("%d heartbeats during a 200 ms prompt at 20 ms", hb)
	}
	// a prompt stopped by hangupCall succeeds (the Parallel must not fail)
	go w.handle("p2", `{"command":"playPrompt","dialogId":"`+id+`","say":"long"}`)
	time.Sleep(50 * time.Millisecond)
	w.handle("h", `{"command":"hangupCall","dialogId":"`+id+`"}`)
	if r := api.wait(t, "h"); r.out["status"] != "hungUp" {
		t.Fatalf("hangup: %+v", r)
	}
	if r := api.wait(t, "p2"); r.out["playStatus"] != "interrupted" {
		t.Fatalf("prompt cut by hangupCall: %+v", r)
	}
	// a task that timed out (heartbeat says so) stops its command
	id = place(t, w, api, "c")
	api.mu.Lock()
	api.gone = true
	api.mu.Unlock()
	done := make(chan struct{})
	go func() { w.handle("p3", `{"command":"waitForDTMF","dialogId":"`+id+`"}`); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("command of a timed-out task kept running")
	}
}

// A command that reaches a worker not holding the call is handed to the
// worker named in the dialog id, which carries it out and reports it.
func TestHandoff(t *testing.T) {
	api := newFakeAPI()
	beA, beB := &testBackend{}, &testBackend{}
	a, b := newTestWorker(api, beA), newTestWorker(api, beB)
	a.cfg.HandoffSecret, b.cfg.HandoffSecret = "s3", "s3"
	srvA := httptest.NewServer(a.HandoffHandler())
	defer srvA.Close()
	a.selfID = strings.TrimPrefix(srvA.URL, "http://")

	id := place(t, a, api, "d")
	if ownerOf(id) != a.selfID {
		t.Fatalf("dialog id %s does not name its owner %s", id, a.selfID)
	}
	b.handle("w", `{"command":"waitForDTMF","dialogId":"`+id+`"}`) // returns once handed off
	time.Sleep(20 * time.Millisecond)
	beA.key("d", "42#")
	if r := api.wait(t, "w"); r.out["dtmfBuffer"] != "42" {
		t.Fatalf("handed-off waitForDTMF: %+v", r)
	}
	b.handle("h", `{"command":"hangupCall","dialogId":"`+id+`"}`)
	if r := api.wait(t, "h"); r.out["status"] != "hungUp" {
		t.Fatalf("handed-off hangupCall: %+v", r)
	}
	if b.reg.Len() != 0 {
		t.Fatal("b holds calls")
	}
	// a wrong secret is refused; an unreachable owner fails clearly
	b.cfg.HandoffSecret = "wrong"
	b.handle("x", `{"command":"hangupCall","dialogId":"`+id+`"}`)
	if r := api.wait(t, "x"); r.name != ErrHandoff || !strings.Contains(r.cause, "403") {
		t.Fatalf("bad secret: %+v", r)
	}
	b.handle("y", `{"command":"hangupCall","dialogId":"d1@127.0.0.1:1"}`)
	if r := api.wait(t, "y"); r.name != ErrHandoff || !strings.Contains(r.cause, "cannot reach") {
		t.Fatalf("unreachable: %+v", r)
	}
}
