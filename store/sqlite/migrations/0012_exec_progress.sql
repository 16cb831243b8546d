-- A step changes only an execution's seq, its event count and its
-- transitions, but its executions row also holds the definition and the
-- input, a page or more: every step dirtied (and wrote to the WAL, and
-- checkpointed) a page of its own for three integers. Here those counters
-- sit in a narrow table, a few hundred executions to a page, so a batch of
-- steps dirties a handful of pages between them. running mirrors
-- status = 'RUNNING' (which stays in executions, for its indexes) so that
-- a step's one conditional UPDATE can check it.
CREATE TABLE exec_progress (
	id          INTEGER NOT NULL PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	events      INTEGER NOT NULL,
	transitions INTEGER NOT NULL,
	running     INTEGER NOT NULL
) STRICT;

INSERT INTO exec_progress (id, seq, events, transitions, running)
	SELECT id, seq, events, transitions, status = 'RUNNING' FROM executions;

ALTER TABLE executions DROP COLUMN seq;
ALTER TABLE executions DROP COLUMN events;
ALTER TABLE executions DROP COLUMN transitions;
