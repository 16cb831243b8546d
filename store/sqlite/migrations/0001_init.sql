-- Times are integer unix nanoseconds in UTC; 0 stands for the zero time.
-- Booleans are 0/1. Executions' seed is the uint64's bit pattern.

CREATE TABLE state_machines (
	arn         TEXT    NOT NULL PRIMARY KEY,
	name        TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	definition  TEXT    NOT NULL,
	role_arn    TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	revision_id TEXT    NOT NULL,
	logging     TEXT    NOT NULL,
	tracing     TEXT    NOT NULL,
	description TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

-- Listings page by (created_at, arn).
CREATE INDEX state_machines_by_created ON state_machines (created_at, arn);

CREATE TABLE activities (
	arn        TEXT    NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX activities_by_created ON activities (created_at, arn);

-- No foreign key to state_machines: an execution carries its own copy of
-- the definition and outlives a deleted state machine. The rows that hang
-- off an execution refer to it by id rather than by its ARN (often 100
-- bytes), which keeps their rows and indexes small and their keys cheap to
-- compare.
CREATE TABLE executions (
	id                INTEGER NOT NULL PRIMARY KEY,
	arn               TEXT    NOT NULL UNIQUE,
	state_machine_arn TEXT    NOT NULL,
	name              TEXT    NOT NULL,
	definition        TEXT    NOT NULL,
	role_arn          TEXT    NOT NULL,
	input             TEXT    NOT NULL,
	status            TEXT    NOT NULL,
	output            TEXT    NOT NULL,
	error             TEXT    NOT NULL,
	has_error         INTEGER NOT NULL,
	cause             TEXT    NOT NULL,
	has_cause         INTEGER NOT NULL,
	trace_header      TEXT    NOT NULL,
	seed              INTEGER NOT NULL,
	started_at        INTEGER NOT NULL,
	stopped_at        INTEGER NOT NULL,
	seq               INTEGER NOT NULL,
	events            INTEGER NOT NULL
) STRICT;

-- ListExecutions pages newest first within one state machine, optionally
-- by status. A step updates none of these columns but status, which
-- changes once per execution.
CREATE INDEX executions_by_machine ON executions (state_machine_arn, started_at, arn);
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, started_at, arn);
-- Recovery at start-up reads only the running ones.
CREATE INDEX executions_running ON executions (arn) WHERE status = 'RUNNING';

-- events and inputs are rowid tables, not clustered on their primary key:
-- a batch appends to hundreds of executions at once, and appending in
-- rowid order dirties a few pages at the end of the table where clustering
-- by execution would dirty a leaf page per execution. History reads pay
-- with an index lookup per row.
CREATE TABLE events (
	exec_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	id      INTEGER NOT NULL,
	type    TEXT    NOT NULL,
	ts      INTEGER NOT NULL,
	body    BLOB    NOT NULL,
	PRIMARY KEY (exec_id, id)
) STRICT;

CREATE TABLE inputs (
	exec_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	body    BLOB    NOT NULL,
	PRIMARY KEY (exec_id, seq)
) STRICT;

CREATE TABLE timers (
	exec_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	ref     INTEGER NOT NULL,
	kind    TEXT    NOT NULL,
	due     INTEGER NOT NULL,
	PRIMARY KEY (exec_id, ref, kind)
) STRICT, WITHOUT ROWID;

-- The timer loop only ever asks for the earliest ones.
CREATE INDEX timers_by_due ON timers (due, exec_id, ref, kind);

-- Only open tasks are kept: closing a task deletes its row, so the table
-- stays the size of the work in flight. A rowid table, because the rowid
-- (insertion order) breaks ties between tasks created at the same instant.
CREATE TABLE tasks (
	token             TEXT    NOT NULL PRIMARY KEY,
	exec_id           INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	ref               INTEGER NOT NULL,
	activity_arn      TEXT    NOT NULL,
	input             TEXT    NOT NULL,
	started           INTEGER NOT NULL,
	worker_name       TEXT    NOT NULL,
	heartbeat_seconds INTEGER NOT NULL,
	created_at        INTEGER NOT NULL
) STRICT;

-- ClaimTask's queue: unstarted activity tasks, oldest first.
CREATE INDEX tasks_unclaimed ON tasks (activity_arn, created_at) WHERE started = 0;
-- An execution's end deletes its tasks; foreign-key cascades need it too.
CREATE INDEX tasks_by_execution ON tasks (exec_id);

CREATE TABLE tags (
	arn   TEXT NOT NULL,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (arn, key)
) STRICT, WITHOUT ROWID;
