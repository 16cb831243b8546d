-- RedriveExecution: how many times an execution was reopened, and when
-- last (0: never).
ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_date INTEGER NOT NULL DEFAULT 0;
