-- Several nodes on one schema (store.Store's doc, "Several nodes"): the
-- shards' leases, the nodes' own rows, and each timer's shard, by which a
-- node reads the timers of the shards it holds only.

-- store.ShardOf, in SQL: FNV-1a (32 bits) of the ARN's UTF-8 bytes, modulo
-- n. It fills in the shards of the timers written before this migration;
-- the store computes the shard itself for the timers it writes.
CREATE FUNCTION statecraft_shard_of(arn text, n integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	h bigint := 2166136261;
	b bytea := convert_to(arn, 'UTF8');
BEGIN
	FOR i IN 0 .. length(b) - 1 LOOP
		h := ((h # get_byte(b, i)) * 16777619) % 4294967296;
	END LOOP;
	RETURN (h % n)::integer;
END
$$;

-- One row per shard, created here and never added or removed: the number
-- of shards is fixed once a schema exists. node is '' while the shard is
-- free; an expired lease keeps its node until another takes it.
-- range_id grows by one at every acquisition: the fence.
CREATE TABLE shards (
	shard      integer     NOT NULL PRIMARY KEY,
	node       text        NOT NULL DEFAULT '',
	range_id   bigint      NOT NULL DEFAULT 0,
	expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO shards (shard) SELECT generate_series(0, 63);

CREATE TABLE nodes (
	id         text COLLATE "C" NOT NULL PRIMARY KEY,
	address    text        NOT NULL,
	started_at timestamptz NOT NULL,
	seen_at    timestamptz NOT NULL,
	info       text        NOT NULL
);

ALTER TABLE timers ADD COLUMN shard integer NOT NULL DEFAULT 0;
UPDATE timers t SET shard = statecraft_shard_of(x.arn, 64) FROM executions x WHERE x.id = t.exec_id;
ALTER TABLE timers ALTER COLUMN shard DROP DEFAULT;
-- A node's timer loop asks for the earliest timers of its shards.
CREATE INDEX timers_by_shard_due ON timers (shard, due);
