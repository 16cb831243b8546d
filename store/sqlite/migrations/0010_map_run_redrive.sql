-- Redrives of Map Runs: how many times the parent's redrive reopened a
-- Map Run or ran a child again, and when last (0: never).
ALTER TABLE map_runs ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE map_runs ADD COLUMN redrive_date INTEGER NOT NULL DEFAULT 0;
ALTER TABLE map_run_executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE map_run_executions ADD COLUMN redrive_date INTEGER NOT NULL DEFAULT 0;
