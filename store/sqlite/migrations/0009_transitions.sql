-- Cost: the billed state transitions of an execution (states entered,
-- retries included), committed with each step.
ALTER TABLE executions ADD COLUMN transitions INTEGER NOT NULL DEFAULT 0;
