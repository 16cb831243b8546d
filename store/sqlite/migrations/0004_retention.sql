-- Retention purges the executions that ended longest ago, a batch at a
-- time; the running ones, which a purge never touches, stay out of it.
CREATE INDEX executions_stopped ON executions (stopped_at) WHERE status != 'RUNNING';
