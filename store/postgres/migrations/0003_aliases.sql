-- Aliases of state machines: a name routing executions to one or two of
-- the machine's versions by weight (sqlkit.RouteColumns: version2 and
-- weight2 are 0 for an alias of one version). Deleting the machine
-- deletes them (DeleteStateMachine does it, as for versions).
CREATE TABLE state_machine_aliases (
	state_machine_arn text COLLATE "C" NOT NULL,
	name              text COLLATE "C" NOT NULL,
	description       text        NOT NULL,
	version1          bigint      NOT NULL,
	weight1           integer     NOT NULL,
	version2          bigint      NOT NULL,
	weight2           integer     NOT NULL,
	created_at        timestamptz NOT NULL,
	updated_at        timestamptz NOT NULL,
	PRIMARY KEY (state_machine_arn, name)
);

-- Listings page by (created_at, name) within a machine.
CREATE INDEX state_machine_aliases_by_created ON state_machine_aliases (state_machine_arn, created_at, name);

-- The version and alias an execution was started through ('' for none),
-- and ListExecutions of a version or alias ARN, newest first. Most
-- executions have neither, and the partial indexes leave them out. A
-- constant default adds the columns without rewriting the table.
ALTER TABLE executions ADD COLUMN state_machine_version_arn text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN state_machine_alias_arn text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX executions_by_version ON executions (state_machine_version_arn, started_at, arn) WHERE state_machine_version_arn <> '';
CREATE INDEX executions_by_alias ON executions (state_machine_alias_arn, started_at, arn) WHERE state_machine_alias_arn <> '';
