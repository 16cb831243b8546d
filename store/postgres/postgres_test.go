package postgres

import (
	"context"
	"errors"
	"fmt"
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

// TestNodesOpenTogether opens one fresh schema from several stores at
// once, as nodes starting together do: the migrations run once, every
// store opens, all see the same shards, and a task one claims stays
// claimed when another opens (its worker may hold the token).
func TestNodesOpenTogether(t *testing.T) {
	schema := pgtest.Schema(t)
	const nodes = 4
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), pgtest.URL(t), Options{Schema: schema}) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("node %d: Open = %v", i, errs[i])
		}
		t.Cleanup(func() { s.Close() })
		if s.ShardCount() != 64 {
			t.Errorf("node %d: ShardCount = %d, want 64", i, s.ShardCount())
		}
	}
	var n int
	files, _ := migrationFS.ReadDir("migrations")
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("migrations recorded: %d, %v; want %d, once each", n, err, len(files))
	}
	startWithClaim(t, stores[0])
	again := openSchema(t, schema)
	if task, err := again.GetTask(t.Context(), "tok"); err != nil || !task.Started || task.WorkerName != "w1" {
		t.Fatalf("after another node opened, the claimed task is %+v, %v; want it still claimed by w1", task, err)
	}
}

// TestShardOfInSQL checks the migration's SQL statecraft_shard_of, which
// gave the timers written before it their shards, against store.ShardOf.
func TestShardOfInSQL(t *testing.T) {
	s := openTest(t)
	for _, arn := range []string{"", "a", "arn:aws:states:us-east-1:123456789012:execution:m:1",
		"arn:aws:states:eu-west-1:000000000000:execution:machine-ü:Ñame-✓", strings.Repeat("x", 300)} {
		for _, n := range []int{1, 7, 64} {
			var got int
			if err := s.pool.QueryRow(t.Context(), `SELECT statecraft_shard_of($1, $2)`, arn, n).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := store.ShardOf(arn, n); got != want {
				t.Errorf("statecraft_shard_of(%q, %d) = %d, store.ShardOf = %d", arn, n, got, want)
			}
		}
	}
}

// TestMigrate migrates a fresh schema explicitly, then again: the second
// has nothing to do.
func TestMigrate(t *testing.T) {
	schema := pgtest.Schema(t)
	files, _ := migrationFS.ReadDir("migrations")
	latest := len(files)
	m, err := Migrate(t.Context(), pgtest.URL(t), Options{Schema: schema})
	if err != nil || m.From != 0 || m.To != latest {
		t.Fatalf("Migrate = %+v, %v; want 0 to %d", m, err, latest)
	}
	m, err = Migrate(t.Context(), pgtest.URL(t), Options{Schema: schema})
	if err != nil || m.From != latest || m.To != latest {
		t.Fatalf("Migrate again = %+v, %v; want %d to %d", m, err, latest, latest)
	}
	openSchema(t, schema) // pgtest drops it when the test ends
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
	if err := s.TagResource(ctx, store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatalf("a write after the listening connection came back: %v", err)
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

// TestWriteAfterSessionEnded ends the session of the store's one pooled
// connection, then writes at once: the write finds the connection dead
// before its COMMIT, and is sent again on a new one, instead of failing.
func TestWriteAfterSessionEnded(t *testing.T) {
	s, err := Open(t.Context(), pgtest.URL(t), Options{Schema: pgtest.Schema(t), MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	for i := range 3 {
		var pid int64
		if err := s.pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		var ended bool
		if err := admin(t).QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ended); err != nil || !ended {
			t.Fatalf("ending session %d: %v, %v", pid, ended, err)
		}
		arn := fmt.Sprintf("arn:%d", i)
		if err := s.TagResource(ctx, store.TagResourceParams{Arn: arn, Tags: map[string]string{"k": "v"}}); err != nil {
			t.Fatalf("write %d after its session was ended: %v", i, err)
		}
		if tags, err := s.ListTags(ctx, arn); err != nil || tags["k"] != "v" {
			t.Fatalf("tags after the write: %v, %v", tags, err)
		}
	}
}

// TestIdleTransactionsEnd checks that the store's sessions end a
// transaction left idle (its node cut off mid-write) within seconds, so
// that the lease rows it locked go to the other nodes.
func TestIdleTransactionsEnd(t *testing.T) {
	s := openTest(t)
	var v string
	if err := s.pool.QueryRow(t.Context(), `SHOW idle_in_transaction_session_timeout`).Scan(&v); err != nil || v != "10s" {
		t.Fatalf("idle_in_transaction_session_timeout = %q, %v; want 10s", v, err)
	}
}
