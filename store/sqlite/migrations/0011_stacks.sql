-- CloudFormation stacks: package cloudformation's record of each stack
-- (a JSON document the store does not read), by account, region and id,
-- with a version for optimistic concurrency (Store.PutStack). A name is
-- taken by at most one stack that is not deleted.
CREATE TABLE cloudformation_stacks (
	account    TEXT    NOT NULL,
	region     TEXT    NOT NULL,
	stack_id   TEXT    NOT NULL,
	stack_name TEXT    NOT NULL,
	deleted    INTEGER NOT NULL,
	document   BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	PRIMARY KEY (account, region, stack_id)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX cloudformation_stacks_live_name ON cloudformation_stacks (account, region, stack_name) WHERE deleted = 0;
CREATE INDEX cloudformation_stacks_by_created ON cloudformation_stacks (account, region, created_at, stack_id);
