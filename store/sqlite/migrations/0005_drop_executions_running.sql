-- Nothing reads the running executions by themselves any more (the engine
-- replays an execution when an event for it arrives, not at start-up), so
-- the index only cost every start and every end a write.
DROP INDEX IF EXISTS executions_running;
