-- Map Runs of Distributed Maps and their child executions, written by the
-- steps of the parent execution (exec_id), so that DescribeMapRun,
-- ListMapRuns and ListExecutions of a Map Run read rows instead of
-- replaying the parent. Counts are JSON text (store.MapRunCounts): they
-- are only ever read and written whole. No cascading keys, as for the
-- other tables of an execution: PurgeExecutions deletes them.
CREATE TABLE map_runs (
	arn                          text COLLATE "C" NOT NULL PRIMARY KEY,
	exec_id                      bigint           NOT NULL,
	state_machine_arn            text             NOT NULL,
	status                       text             NOT NULL,
	started_at                   timestamptz      NOT NULL,
	stopped_at                   timestamptz,
	max_concurrency              bigint           NOT NULL,
	tolerated_failure_percentage double precision NOT NULL,
	tolerated_failure_count      bigint           NOT NULL,
	item_counts                  text             NOT NULL,
	execution_counts             text             NOT NULL
);

CREATE INDEX map_runs_by_execution ON map_runs (exec_id, started_at, arn);

CREATE TABLE map_run_executions (
	arn               text COLLATE "C" NOT NULL PRIMARY KEY,
	map_run_arn       text COLLATE "C" NOT NULL,
	exec_id           bigint      NOT NULL,
	state_machine_arn text        NOT NULL,
	name              text        NOT NULL,
	item_count        bigint      NOT NULL,
	status            text        NOT NULL,
	started_at        timestamptz NOT NULL,
	stopped_at        timestamptz,
	input             text        NOT NULL,
	output            text        NOT NULL,
	error             text        NOT NULL,
	cause             text        NOT NULL,
	has_cause         boolean     NOT NULL
);

-- ListExecutions of a Map Run pages newest first, optionally by status.
CREATE INDEX map_run_executions_by_run ON map_run_executions (map_run_arn, started_at, arn);
CREATE INDEX map_run_executions_by_exec ON map_run_executions (exec_id);
