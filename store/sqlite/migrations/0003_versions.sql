-- Published versions of state machines: immutable snapshots of a
-- machine's definition and role at one revision, numbered from 1 per
-- machine. Deleting the machine deletes them (DeleteStateMachine does it,
-- with no foreign key, as for tags).
CREATE TABLE state_machine_versions (
	state_machine_arn TEXT    NOT NULL,
	version           INTEGER NOT NULL,
	definition        TEXT    NOT NULL,
	role_arn          TEXT    NOT NULL,
	revision_id       TEXT    NOT NULL,
	description       TEXT    NOT NULL,
	created_at        INTEGER NOT NULL,
	PRIMARY KEY (state_machine_arn, version)
) STRICT, WITHOUT ROWID;

-- Publishing is idempotent per revision: it looks the revision up first.
CREATE INDEX state_machine_versions_by_revision ON state_machine_versions (state_machine_arn, revision_id);

-- The highest version number a machine has issued, so that a deleted
-- version's number is never given out again.
ALTER TABLE state_machines ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;
