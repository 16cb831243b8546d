package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/postgres/pgtest"
	"github.com/statecraft/statecraft/store/storetest"
)

// openTest opens a store on a fresh schema, closed and dropped when t ends.
func openTest(t testing.TB) *Store {
	t.Helper()
	return openSchema(t, pgtest.Schema(t))
}

func openSchema(t testing.TB, schema string) *Store {
	t.Helper()
	s, err := Open(t.Context(), pgtest.URL(t), Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store { return openTest(t) })
}

func testExecution(arn string) *store.Execution {
	return &store.Execution{Arn: arn, StateMachineArn: "arn:sm", Name: arn, Input: "{}", StartedAt: time.Now()}
}

// startWithClaim starts execution "e" with an activity task "tok" that
// worker w1 has claimed.
func startWithClaim(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	const act = "arn:aws:states:us-east-1:123456789012:activity:a"
	if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution("e"), Step: store.StepParams{Input: []byte("1"),
		AddTasks: []store.Task{{Token: "tok", Ref: 1, ActivityArn: act, Input: "{}", CreatedAt: time.Now()}}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "e", Seq: 1,
		ClaimTasks: []store.TaskClaim{{Token: "tok", WorkerName: "w1"}}}); err != nil {
		t.Fatal(err)
	}
}

// admin is a connection of the test's own to the test database.
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestSecondOpenLocked opens a schema that a Store holds, from this
// process and from another: both are refused with ErrLocked, saying what
// holds it, and the refused opener changes nothing, not even the holder's
// claimed tasks. Once the holder closes, the schema opens again.
func TestSecondOpenLocked(t *testing.T) {
	schema := pgtest.Schema(t)
	s := openSchema(t, schema)
	startWithClaim(t, s)
	ctx := t.Context()

	s2, err := Open(ctx, pgtest.URL(t), Options{Schema: schema})
	if err == nil {
		s2.Close()
		t.Fatal("a second Open of a schema in use succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	for _, want := range []string{"another Statecraft server uses database", fmt.Sprintf("schema %q", schema),
		"several nodes are not supported yet", `"statecraft" from`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Open = %q, want it to say %q", err, want)
		}
	}

	// Another process, as a second server would be.
	out, err := helper(t, "try", schema).CombinedOutput()
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "LOCKED: ") {
		t.Fatalf("helper process did not find the schema locked:\n%s", out)
	}

	task, err := s.GetTask(ctx, "tok")
	if err != nil || !task.Started || task.WorkerName != "w1" {
		t.Fatalf("after refused opens the claimed task is %+v, %v; want it still claimed by w1", task, err)
	}
	// The holder goes on writing.
	if err := s.TagResource(ctx, store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := openSchema(t, schema)
	if task, err := s3.GetTask(ctx, "tok"); err != nil || task.Started {
		t.Fatalf("after a reopen the claimed task is %+v, %v; want it back in its queue", task, err)
	}
}

// TestLockGoesWithTheProcess kills a process that holds a schema: its
// session ends with it, and the schema opens again.
func TestLockGoesWithTheProcess(t *testing.T) {
	schema := pgtest.Schema(t)
	cmd := helper(t, "hold", schema)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "HOLDING") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, want HOLDING", buf[:n])
	}
	if _, err := Open(t.Context(), pgtest.URL(t), Options{Schema: schema}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while another process holds the schema = %v, want ErrLocked", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// The server ends the session when it sees the socket closed; give it
	// all the time it needs, and no less.
	deadline := time.Now().Add(time.Minute)
	for {
		s, err := Open(t.Context(), pgtest.URL(t), Options{Schema: schema})
		if err == nil {
			s.Close()
			return
		}
		if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			t.Fatalf("Open after the holder was killed = %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func helper(t *testing.T, mode, schema string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATECRAFT_TEST_PG_HELPER="+mode, "STATECRAFT_TEST_PG_SCHEMA="+schema,
		"STATECRAFT_TEST_POSTGRES="+pgtest.URL(t))
	return cmd
}

// TestMain runs the other process of the lock tests when asked to: "try"
// opens the schema and says how that went; "hold" opens it and waits to
// be killed.
func TestMain(m *testing.M) {
	if mode := os.Getenv("STATECRAFT_TEST_PG_HELPER"); mode != "" {
		s, err := Open(context.Background(), os.Getenv("STATECRAFT_TEST_POSTGRES"), Options{Schema: os.Getenv("STATECRAFT_TEST_PG_SCHEMA")})
		switch {
		case err == nil && mode == "hold":
			fmt.Println("HOLDING")
			select {}
		case err == nil:
			s.Close()
			fmt.Println("OPENED")
		case errors.Is(err, ErrLocked):
			fmt.Println("LOCKED: " + err.Error())
		default:
			fmt.Println("ERROR: " + err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSchemasApart runs two stores on two schemas of one database: neither
// sees the other's rows or hears its notifications, and each has its own
// lock.
func TestSchemasApart(t *testing.T) {
	a, b := openTest(t), openTest(t)
	ctx := t.Context()
	sm := &store.StateMachine{Arn: "arn:aws:states:us-east-1:123456789012:stateMachine:x", Name: "x", Type: "STANDARD",
		Definition: "{}", Status: "ACTIVE", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := a.CreateStateMachine(ctx, sm); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetStateMachine(ctx, sm.Arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the other schema's GetStateMachine = %v, want ErrNotFound", err)
	}
	if err := b.CreateStateMachine(ctx, sm); err != nil {
		t.Fatalf("the same ARN in the other schema: %v", err)
	}
	startWithClaim(t, a)
	if list, _, err := b.ListExecutions(ctx, store.ListExecutionsParams{Limit: 10}); err != nil || len(list) != 0 {
		t.Fatalf("the other schema lists %d executions, %v", len(list), err)
	}
	if q, err := b.QueuedTasks(ctx); err != nil || len(q) != 0 {
		t.Fatalf("the other schema's queued tasks: %v, %v", q, err)
	}

	heard := make(chan string, 100)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.Listen(lctx, func(_, payload string) { heard <- payload })
	// b hears itself once it listens; a's notification, sent before b's
	// last, must not come before it.
	for ready := false; !ready; {
		if err := b.Notify(ctx, store.ChannelTimers, "probe"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-heard:
			ready = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	for len(heard) > 0 {
		<-heard
	}
	if err := a.Notify(ctx, store.ChannelTimers, "from a"); err != nil {
		t.Fatal(err)
	}
	if err := b.Notify(ctx, store.ChannelTimers, "from b"); err != nil {
		t.Fatal(err)
	}
	for p := range heard {
		if p == "from a" {
			t.Fatal("a store heard another schema's notification")
		}
		if p == "from b" {
			break
		}
	}
}

// TestReopenKeepsDataAndSchema reopens a schema: the rows are there, every
// migration is recorded once, and writes after Close are refused.
func TestReopenKeepsDataAndSchema(t *testing.T) {
	schema := pgtest.Schema(t)
	ctx := t.Context()
	s, err := Open(ctx, pgtest.URL(t), Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution("e"), Step: store.StepParams{Input: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "e", Seq: 1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("CommitStep after Close: %v", err)
	}
	s = openSchema(t, schema)
	e, err := s.GetExecution(ctx, "e")
	if err != nil || e.Seq != 1 {
		t.Fatalf("after reopen: %+v, %v", e, err)
	}
	files, _ := migrationFS.ReadDir("migrations")
	var n, max int
	if err := s.pool.QueryRow(ctx, `SELECT count(*), max(version) FROM migrations`).Scan(&n, &max); err != nil || n != len(files) || max != len(files) {
		t.Fatalf("migrations recorded: %d up to %d, %v; want %d", n, max, err, len(files))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	schema := pgtest.Schema(t)
	s := openSchema(t, schema)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO migrations (version, name) VALUES (99, '0099_future.sql')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(t.Context(), pgtest.URL(t), Options{Schema: schema})
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a schema newer than the binary's")
	}
	if !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open = %v, want the schema refused", err)
	}
	// The refusal let go of the lock.
	s2, err = Open(t.Context(), pgtest.URL(t), Options{Schema: schema})
	if s2 != nil {
		s2.Close()
	}
	if errors.Is(err, ErrLocked) {
		t.Fatalf("a failed Open kept the lock: %v", err)
	}
}

// TestOpenUnreachable names the server it could not reach.
func TestOpenUnreachable(t *testing.T) {
	pgtest.URL(t)
	// Port 1 on loopback: nothing listens there.
	_, err := Open(t.Context(), "postgres://postgres@127.0.0.1:1/test?connect_timeout=5", Options{})
	if err == nil || !strings.Contains(err.Error(), `connecting to database "test" schema "statecraft" on 127.0.0.1:1`) {
		t.Fatalf("Open of a closed port = %v", err)
	}
	if _, err := Open(t.Context(), pgtest.URL(t), Options{Schema: strings.Repeat("s", 64)}); err == nil {
		t.Fatal("Open took a schema name longer than PostgreSQL's identifiers")
	}
}

// TestCommitAnswerLost breaks the connection where a COMMIT's answer
// would come: the write learns from the database whether it committed,
// whichever way it went.
func TestCommitAnswerLost(t *testing.T) {
	lost := errors.New("connection lost (test)")
	for _, tc := range []struct {
		name      string
		commit    func(ctx context.Context, tx pgx.Tx, conn *pgxpool.Conn) error
		committed bool
	}{
		{"Committed", func(ctx context.Context, tx pgx.Tx, conn *pgxpool.Conn) error {
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			conn.Conn().Close(ctx)
			return lost
		}, true},
		{"NeverSent", func(ctx context.Context, _ pgx.Tx, conn *pgxpool.Conn) error {
			conn.Conn().Close(ctx)
			return lost
		}, false},
		// The session stays open, its transaction in progress, as when
		// the network drops without a word: the store ends it.
		{"SessionHangs", func(context.Context, pgx.Tx, *pgxpool.Conn) error {
			return lost
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			s.commit = tc.commit
			err := s.TagResource(t.Context(), store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}})
			s.commit = func(ctx context.Context, tx pgx.Tx, _ *pgxpool.Conn) error { return tx.Commit(ctx) }
			tags, terr := s.ListTags(t.Context(), "arn")
			if terr != nil {
				t.Fatal(terr)
			}
			if tc.committed {
				if err != nil || len(tags) != 1 {
					t.Fatalf("write = %v with tags %v; want nil and the tag written", err, tags)
				}
				return
			}
			if !errors.Is(err, lost) || len(tags) != 0 {
				t.Fatalf("write = %v with tags %v; want the lost connection and nothing written", err, tags)
			}
		})
	}
}

// TestLockLost ends the session that holds the lock: the store refuses
// every write from then on, and says so on Failed.
func TestLockLost(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if _, err := admin(t).Exec(ctx, `SELECT pg_terminate_backend($1)`, int64(s.lock.PgConn().PID())); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Failed():
	case <-time.After(time.Minute):
		t.Fatal("the store did not notice it lost its lock")
	}
	if !errors.Is(s.Err(), ErrLockLost) {
		t.Fatalf("Err = %v, want ErrLockLost", s.Err())
	}
	err := s.TagResource(ctx, store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}})
	if !errors.Is(err, ErrLockLost) {
		t.Fatalf("a write after the lock was lost = %v, want ErrLockLost", err)
	}
	if err := s.Listen(ctx, func(string, string) {}); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Listen after the lock was lost = %v, want ErrLockLost", err)
	}
}

// TestListenReconnects ends the listening connection's session: Listen
// goes on, and hears notifications again once the store has reconnected.
func TestListenReconnects(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	var mu sync.Mutex
	var heard []string
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(lctx, func(_, payload string) {
			mu.Lock()
			heard = append(heard, payload)
			mu.Unlock()
		})
	}()
	// waitHeard sends payload until Listen hears it.
	waitHeard := func(payload string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			if err := s.Notify(ctx, store.ChannelActivity, payload); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			got := strings.Join(heard, ",")
			mu.Unlock()
			if strings.Contains(got, payload) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Listen did not hear %q in a minute (heard %s)", payload, got)
			}
		}
	}
	waitHeard("before")
	pid := s.listenPID.Load()
	var ended bool
	if err := admin(t).QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int64(pid)).Scan(&ended); err != nil || !ended {
		t.Fatalf("ending the listening session %d: %v, %v", pid, ended, err)
	}
	deadline := time.Now().Add(time.Minute)
	for s.listenPID.Load() == pid {
		if time.Now().After(deadline) {
			t.Fatal("the store did not reconnect in a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitHeard("after")
	select {
	case err := <-done:
		t.Fatalf("Listen returned when its connection was lost: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Listen = %v after its context ended", err)
	}
	if s.Err() != nil {
		t.Fatalf("the store failed: %v", s.Err())
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct {
		prefix, end string
		ok          bool
	}{
		{"arn:aws:", "arn:aws;", true},
		{"a\x7f", "a\u0080", true},
		{"é", "ê", true},
		{"a\U0010FFFF", "b", true},
		{"\U0010FFFF", "", false},
		{"a\uD7FF", "a\uE000", true},
	} {
		end, ok := prefixEnd(tc.prefix)
		if end != tc.end || ok != tc.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tc.prefix, end, ok, tc.end, tc.ok)
		}
	}
}
