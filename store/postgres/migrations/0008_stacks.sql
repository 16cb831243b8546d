-- CloudFormation stacks: package cloudformation's record of each stack
-- (a JSON document the store does not read), by account, region and id,
-- with a version for optimistic concurrency (Store.PutStack). A name is
-- taken by at most one stack that is not deleted.
CREATE TABLE cloudformation_stacks (
	account    text COLLATE "C" NOT NULL,
	region     text COLLATE "C" NOT NULL,
	stack_id   text COLLATE "C" NOT NULL,
	stack_name text COLLATE "C" NOT NULL,
	deleted    boolean     NOT NULL,
	document   bytea       NOT NULL,
	created_at timestamptz NOT NULL,
	version    bigint      NOT NULL,
	PRIMARY KEY (account, region, stack_id)
);

CREATE UNIQUE INDEX cloudformation_stacks_live_name ON cloudformation_stacks (account, region, stack_name) WHERE NOT deleted;
CREATE INDEX cloudformation_stacks_by_created ON cloudformation_stacks (account, region, created_at, stack_id);
