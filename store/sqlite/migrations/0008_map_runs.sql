-- Map Runs of Distributed Maps and their child executions, written by the
-- steps of the parent execution (exec_id), so that DescribeMapRun,
-- ListMapRuns and ListExecutions of a Map Run read rows instead of
-- replaying the parent. Counts are JSON objects (store.MapRunCounts): they
-- are only ever read and written whole. Purging the parent deletes them.
CREATE TABLE map_runs (
	arn                          TEXT    NOT NULL PRIMARY KEY,
	exec_id                      INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	state_machine_arn            TEXT    NOT NULL,
	status                       TEXT    NOT NULL,
	started_at                   INTEGER NOT NULL,
	stopped_at                   INTEGER NOT NULL,
	max_concurrency              INTEGER NOT NULL,
	tolerated_failure_percentage REAL    NOT NULL,
	tolerated_failure_count      INTEGER NOT NULL,
	item_counts                  TEXT    NOT NULL,
	execution_counts             TEXT    NOT NULL
) STRICT;

CREATE INDEX map_runs_by_execution ON map_runs (exec_id, started_at, arn);

CREATE TABLE map_run_executions (
	arn               TEXT    NOT NULL PRIMARY KEY,
	map_run_arn       TEXT    NOT NULL,
	exec_id           INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	state_machine_arn TEXT    NOT NULL,
	name              TEXT    NOT NULL,
	item_count        INTEGER NOT NULL,
	status            TEXT    NOT NULL,
	started_at        INTEGER NOT NULL,
	stopped_at        INTEGER NOT NULL,
	input             TEXT    NOT NULL,
	output            TEXT    NOT NULL,
	error             TEXT    NOT NULL,
	cause             TEXT    NOT NULL,
	has_cause         INTEGER NOT NULL
) STRICT;

-- ListExecutions of a Map Run pages newest first, optionally by status.
CREATE INDEX map_run_executions_by_run ON map_run_executions (map_run_arn, started_at, arn);
CREATE INDEX map_run_executions_by_exec ON map_run_executions (exec_id);
