package sqlite

import (
	"errors"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// settle is how long the tests below give a goroutine to do what it must
// not do yet. A correct store never does it, however long it is given, so
// a slow machine cannot make them fail; a fast one catches a regression.
const settle = 50 * time.Millisecond

// TestAnswersAndReadsWaitForFsync holds the WAL's fsync back: the step's
// batch is committed (readable by SQLite's rules), yet neither its caller
// nor a read may see it until the fsync is done.
func TestAnswersAndReadsWaitForFsync(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution("a"), Step: store.StepParams{Input: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	y := s.w.syncer
	if y == nil {
		t.Fatal("DefaultOptions (Sync) runs no WAL syncer")
	}
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var once gosync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before Close, which waits for the held fsync
	sync := y.fsync
	y.fsync = func() error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		return sync()
	}
	stepped := make(chan error, 1)
	go func() {
		stepped <- s.CommitStep(ctx, store.StepParams{ExecutionArn: "a", Seq: 1, Input: []byte("2"),
			Events: []store.Event{{ID: 1, Type: "T", Timestamp: time.Now(), Body: []byte("{}")}}})
	}()
	<-entered
	if c, sy := y.committed.Load(), y.synced.Load(); c <= sy {
		t.Fatalf("fsync entered with committed %d, synced %d", c, sy)
	}
	type got struct {
		e   *store.Execution
		err error
	}
	read := make(chan got, 1)
	go func() {
		e, err := s.GetExecution(ctx, "a")
		read <- got{e, err}
	}()
	select {
	case err := <-stepped:
		t.Fatalf("step answered (%v) before its fsync", err)
	case g := <-read:
		t.Fatalf("read returned (seq %d, %v) before the fsync of what it read", g.e.Seq, g.err)
	case <-time.After(settle):
	}
	free()
	if err := <-stepped; err != nil {
		t.Fatal(err)
	}
	g := <-read
	if g.err != nil {
		t.Fatal(g.err)
	}
	if g.e.Seq != 2 || g.e.Events != 1 {
		// The read began after the COMMIT; it must see the step.
		t.Fatalf("read seq %d events %d, want 2 and 1", g.e.Seq, g.e.Events)
	}
}

// TestFsyncFailureBreaksStore: a failed fsync fails the writes it was to
// make durable, and every write after it, since the kernel may have
// dropped the pages; reads go on.
func TestFsyncFailureBreaksStore(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution("a"), Step: store.StepParams{Input: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	eio := errors.New("EIO")
	s.w.syncer.fsync = func() error { return eio }
	err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "a", Seq: 1, Input: []byte("2")})
	if !errors.Is(err, eio) {
		t.Fatalf("step with a failed fsync: %v, want %v", err, eio)
	}
	s.w.syncer.fsync = func() error { return nil }
	err = s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution("b"), Step: store.StepParams{Input: []byte("1")}})
	if !errors.Is(err, eio) {
		t.Fatalf("write after a failed fsync: %v, want %v", err, eio)
	}
	if _, err := s.GetExecution(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused start: %v, want ErrNotFound", err)
	}
	if _, err := s.GetExecution(ctx, "a"); err != nil {
		t.Fatal(err)
	}
}
