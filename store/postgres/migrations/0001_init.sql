-- The schema of store/postgres, created in the schema Options.Schema names
-- (the connections' search_path). Times are timestamptz, kept to the
-- microsecond; the zero time is stored as it is (0001-01-01 UTC), except
-- stopped_at, which is NULL while an execution runs. An execution's seed
-- is the uint64's bit pattern.
--
-- Every text column that is compared by range or sorted in a listing
-- (ARNs, tokens, tag keys) is COLLATE "C": byte order, which the contract's
-- orderings and ListParams.ArnPrefix's range need, whatever the database's
-- own collation; it is also the cheapest to compare.

CREATE TABLE state_machines (
	arn          text COLLATE "C" NOT NULL PRIMARY KEY,
	name         text        NOT NULL,
	type         text        NOT NULL,
	definition   text        NOT NULL,
	role_arn     text        NOT NULL,
	status       text        NOT NULL,
	revision_id  text        NOT NULL,
	logging      text        NOT NULL,
	tracing      text        NOT NULL,
	description  text        NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	-- The highest version number issued, so that a deleted version's
	-- number is never given out again.
	last_version bigint      NOT NULL DEFAULT 0
);

-- Listings page by (created_at, arn).
CREATE INDEX state_machines_by_created ON state_machines (created_at, arn);

CREATE TABLE state_machine_versions (
	state_machine_arn text COLLATE "C" NOT NULL,
	version           bigint      NOT NULL,
	definition        text        NOT NULL,
	role_arn          text        NOT NULL,
	revision_id       text        NOT NULL,
	description       text        NOT NULL,
	created_at        timestamptz NOT NULL,
	PRIMARY KEY (state_machine_arn, version)
);

-- Publishing is idempotent per revision: it looks the revision up first.
CREATE INDEX state_machine_versions_by_revision ON state_machine_versions (state_machine_arn, revision_id);

CREATE TABLE activities (
	arn        text COLLATE "C" NOT NULL PRIMARY KEY,
	name       text        NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE INDEX activities_by_created ON activities (created_at, arn);

-- No foreign key to state_machines: an execution carries its own copy of
-- the definition and outlives a deleted state machine. The rows that hang
-- off an execution refer to it by id, not by its ARN (often 100 bytes).
-- A step updates seq and events, which no index covers, several times per
-- execution: the free space fillfactor leaves in each page lets those be
-- HOT updates, which write no index.
CREATE TABLE executions (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	arn               text COLLATE "C" NOT NULL UNIQUE,
	state_machine_arn text COLLATE "C" NOT NULL,
	name              text        NOT NULL,
	definition        text        NOT NULL,
	role_arn          text        NOT NULL,
	input             text        NOT NULL,
	status            text        NOT NULL,
	output            text        NOT NULL,
	error             text        NOT NULL,
	has_error         boolean     NOT NULL,
	cause             text        NOT NULL,
	has_cause         boolean     NOT NULL,
	trace_header      text        NOT NULL,
	parent_token      text COLLATE "C" NOT NULL,
	seed              bigint      NOT NULL,
	started_at        timestamptz NOT NULL,
	stopped_at        timestamptz,
	seq               bigint      NOT NULL,
	events            bigint      NOT NULL
) WITH (fillfactor = 80);

-- ListExecutions pages newest first within one state machine, optionally
-- by status.
CREATE INDEX executions_by_machine ON executions (state_machine_arn, started_at, arn);
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, started_at, arn);
-- Retention purges the executions that ended longest ago, a batch at a
-- time; the running ones, which a purge never touches, stay out of it.
CREATE INDEX executions_stopped ON executions (stopped_at) WHERE status <> 'RUNNING';

-- The rows below have no foreign key to executions: a key check per
-- inserted row (a step writes a score of events) would cost more than the
-- step's other statements, and the one path that deletes executions,
-- PurgeExecutions, deletes their rows itself, as store/sqlite's does.
CREATE TABLE events (
	exec_id bigint      NOT NULL,
	id      bigint      NOT NULL,
	type    text        NOT NULL,
	ts      timestamptz NOT NULL,
	body    bytea       NOT NULL,
	PRIMARY KEY (exec_id, id)
);

CREATE TABLE inputs (
	exec_id bigint NOT NULL,
	seq     bigint NOT NULL,
	body    bytea  NOT NULL,
	PRIMARY KEY (exec_id, seq)
);

CREATE TABLE timers (
	exec_id bigint      NOT NULL,
	ref     bigint      NOT NULL,
	kind    text COLLATE "C" NOT NULL,
	due     timestamptz NOT NULL,
	PRIMARY KEY (exec_id, ref, kind)
);

-- The timer loop only ever asks for the earliest ones.
CREATE INDEX timers_by_due ON timers (due, exec_id, ref, kind);

-- Only open tasks are kept: closing a task deletes its row, so the table
-- stays the size of the work in flight. id, increasing as tasks are
-- added, breaks ties between tasks created at the same instant.
CREATE TABLE tasks (
	token             text COLLATE "C" NOT NULL PRIMARY KEY,
	id                bigint GENERATED ALWAYS AS IDENTITY,
	exec_id           bigint      NOT NULL,
	ref               bigint      NOT NULL,
	activity_arn      text COLLATE "C" NOT NULL,
	input             text        NOT NULL,
	started           boolean     NOT NULL,
	worker_name       text        NOT NULL,
	heartbeat_seconds bigint      NOT NULL,
	created_at        timestamptz NOT NULL
);

-- NextTasks's queue: unclaimed activity tasks, oldest first.
CREATE INDEX tasks_unclaimed ON tasks (activity_arn, created_at, id) WHERE NOT started;
-- An execution's end deletes its tasks.
CREATE INDEX tasks_by_execution ON tasks (exec_id);

CREATE TABLE tags (
	arn   text COLLATE "C" NOT NULL,
	key   text COLLATE "C" NOT NULL,
	value text NOT NULL,
	PRIMARY KEY (arn, key)
);
