-- Aliases of state machines: a name routing executions to one or two of
-- the machine's versions by weight (sqlkit.RouteColumns: version2 and
-- weight2 are 0 for an alias of one version). Deleting the machine
-- deletes them (DeleteStateMachine does it, as for versions).
CREATE TABLE state_machine_aliases (
	state_machine_arn TEXT    NOT NULL,
	name              TEXT    NOT NULL,
	description       TEXT    NOT NULL,
	version1          INTEGER NOT NULL,
	weight1           INTEGER NOT NULL,
	version2          INTEGER NOT NULL,
	weight2           INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	PRIMARY KEY (state_machine_arn, name)
) STRICT, WITHOUT ROWID;

-- Listings page by (created_at, name) within a machine.
CREATE INDEX state_machine_aliases_by_created ON state_machine_aliases (state_machine_arn, created_at, name);

-- The version and alias an execution was started through ('' for none),
-- and ListExecutions of a version or alias ARN, newest first. Most
-- executions have neither, and the partial indexes leave them out.
ALTER TABLE executions ADD COLUMN state_machine_version_arn TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN state_machine_alias_arn TEXT NOT NULL DEFAULT '';
CREATE INDEX executions_by_version ON executions (state_machine_version_arn, started_at, arn) WHERE state_machine_version_arn != '';
CREATE INDEX executions_by_alias ON executions (state_machine_alias_arn, started_at, arn) WHERE state_machine_alias_arn != '';
