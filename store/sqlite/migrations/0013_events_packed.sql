-- A step's events share one row of events: the first event in the row's
-- own columns (id, type, ts, body), the others, whose ids follow on from
-- it, packed into more (see store/sqlite/history.go), and last_id the id
-- of the row's last event. A row of one event, as every row written
-- before this migration, has more and last_id NULL. A W3 step writes 2.5
-- events: one row and one index entry instead of two or three of each
-- is less for the single writer to insert and fewer pages for it to
-- write at every commit.
ALTER TABLE events ADD COLUMN more BLOB;
ALTER TABLE events ADD COLUMN last_id INTEGER;

-- A step's input (its row of inputs before this migration) goes in the
-- row of its first event when it has events: seq and input, NULL in the
-- other rows. A step without events keeps a row of inputs. One row and
-- one index entry per step, where there were two of each.
ALTER TABLE events ADD COLUMN seq INTEGER;
ALTER TABLE events ADD COLUMN input BLOB;

-- A row holding several events has one key, its first id: the primary key
-- no longer refuses an event id already in the history. last_event, the
-- history's highest id, does: a step's events must come after it (the
-- step's conditional UPDATE of exec_progress checks it).
ALTER TABLE exec_progress ADD COLUMN last_event INTEGER NOT NULL DEFAULT 0;
UPDATE exec_progress SET last_event = coalesce(
	(SELECT max(coalesce(last_id, id)) FROM events WHERE exec_id = exec_progress.id), 0);
