-- Nested executions (arn:aws:states:::states:startExecution) remember the
-- task token of the Task state that started them, to report back to it.
ALTER TABLE executions ADD COLUMN parent_token TEXT NOT NULL DEFAULT '';
