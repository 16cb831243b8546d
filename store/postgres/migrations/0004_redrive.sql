-- RedriveExecution: how many times an execution was reopened, and when
-- last (NULL: never).
ALTER TABLE executions ADD COLUMN redrive_count bigint NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_date timestamptz;
