package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/statecraft/statecraft/store"
)

var _ store.Cluster = (*Store)(nil)

// ShardCount is the number of rows of the shards table, read at Open.
func (s *Store) ShardCount() int { return s.shards }

func (s *Store) shardOf(executionArn string) int { return store.ShardOf(executionArn, s.shards) }

// queueFence checks a write's fence first in its transaction: the lease row
// is read FOR SHARE, so AcquireShards's UPDATE of it waits for the write to
// end, and a write behind an acquisition sees the new range ID and is
// refused. A zero fence queues nothing.
func queueFence(b *pgx.Batch, f store.Fence) {
	if f.IsZero() {
		return
	}
	b.Queue(`SELECT range_id FROM shards WHERE shard = $1 FOR SHARE`, f.Shard).QueryRow(func(row pgx.Row) error {
		var rangeID int64
		err := row.Scan(&rangeID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && rangeID != f.RangeID) {
			return fmt.Errorf("store/postgres: shard %d is no longer at range %d: %w", f.Shard, f.RangeID, store.ErrFenced)
		}
		return err
	})
}

func leaseShards(ls []store.Lease) []int32 {
	shards, _ := leaseColumns(ls)
	return shards
}

// leaseColumns is leases as the two arrays a statement unnests.
func leaseColumns(ls []store.Lease) (shards []int32, ranges []int64) {
	shards, ranges = make([]int32, len(ls)), make([]int64, len(ls))
	for i, l := range ls {
		shards[i], ranges[i] = int32(l.Shard), l.RangeID
	}
	return shards, ranges
}

func millis(d time.Duration) int64 { return d.Milliseconds() }

// AcquireShards takes free or expired shards in random order, skipping
// those another transaction holds locked (a fenced write in flight, or
// another node acquiring), so nodes starting together do not queue on one
// row.
func (s *Store) AcquireShards(ctx context.Context, p store.AcquireShardsParams) ([]store.Lease, error) {
	if p.Max <= 0 {
		return nil, store.ErrInvalidLimit
	}
	if p.Node == "" || p.TTL <= 0 {
		return nil, fmt.Errorf("store/postgres: AcquireShards needs a node and a positive TTL")
	}
	var out []store.Lease
	err := s.tx(ctx, func(b *pgx.Batch) {
		b.Queue(`UPDATE shards s SET node = $1, range_id = s.range_id + 1, expires_at = now() + $2 * interval '1 millisecond'
			FROM (SELECT shard FROM shards WHERE node = '' OR expires_at < now()
				ORDER BY random() LIMIT $3 FOR UPDATE SKIP LOCKED) c
			WHERE s.shard = c.shard
			RETURNING s.shard, s.node, s.range_id, s.expires_at`, p.Node, millis(p.TTL), p.Max).Query(func(rows pgx.Rows) error {
			var err error
			out, err = scanLeases(rows)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) RenewShards(ctx context.Context, p store.RenewShardsParams) ([]store.Lease, error) {
	if len(p.Leases) == 0 {
		return nil, nil
	}
	shards, ranges := leaseColumns(p.Leases)
	var out []store.Lease
	err := s.tx(ctx, func(b *pgx.Batch) {
		b.Queue(`UPDATE shards s SET expires_at = now() + $2 * interval '1 millisecond'
			FROM unnest($3::integer[], $4::bigint[]) AS l(shard, range_id)
			WHERE s.shard = l.shard AND s.range_id = l.range_id AND s.node = $1
			RETURNING s.shard, s.node, s.range_id, s.expires_at`, p.Node, millis(p.TTL), shards, ranges).Query(func(rows pgx.Rows) error {
			var err error
			out, err = scanLeases(rows)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) ReleaseShards(ctx context.Context, leases []store.Lease) error {
	if len(leases) == 0 {
		return nil
	}
	shards, ranges := leaseColumns(leases)
	return s.exec(ctx, nil, `UPDATE shards s SET node = '', expires_at = '-infinity'
		FROM unnest($1::integer[], $2::bigint[]) AS l(shard, range_id)
		WHERE s.shard = l.shard AND s.range_id = l.range_id`, shards, ranges)
}

func (s *Store) ListShards(ctx context.Context) ([]store.Lease, error) {
	rows, err := s.query(ctx, `SELECT shard, node, range_id, expires_at FROM shards ORDER BY shard`)
	if err != nil {
		return nil, err
	}
	return scanLeases(rows)
}

func scanLeases(rows pgx.Rows) ([]store.Lease, error) {
	defer rows.Close()
	var out []store.Lease
	for rows.Next() {
		var l store.Lease
		var exp pgtype.Timestamptz // '-infinity' for a released shard
		if err := rows.Scan(&l.Shard, &l.Node, &l.RangeID, &exp); err != nil {
			return nil, err
		}
		if exp.InfinityModifier == pgtype.Finite {
			l.Expires = ut(exp.Time)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func (s *Store) Heartbeat(ctx context.Context, n store.Node) error {
	if n.ID == "" {
		return fmt.Errorf("store/postgres: Heartbeat needs a node ID")
	}
	return s.exec(ctx, nil, `INSERT INTO nodes (id, address, started_at, seen_at, info) VALUES ($1, $2, $3, now(), $4)
		ON CONFLICT (id) DO UPDATE SET address = excluded.address, started_at = excluded.started_at,
			seen_at = excluded.seen_at, info = excluded.info`, n.ID, n.Address, n.StartedAt, n.Info)
}

func (s *Store) ListNodes(ctx context.Context, p store.ListNodesParams) ([]store.Node, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	rows, err := s.query(ctx, `SELECT id, address, started_at, seen_at, info FROM nodes
		WHERE seen_at > now() - $1 * interval '1 millisecond' ORDER BY id LIMIT $2`, millis(p.SeenWithin), p.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Node
	for rows.Next() {
		var n store.Node
		if err := rows.Scan(&n.ID, &n.Address, &n.StartedAt, &n.SeenAt, &n.Info); err != nil {
			return nil, err
		}
		n.StartedAt, n.SeenAt = ut(n.StartedAt), ut(n.SeenAt)
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *Store) DeleteNode(ctx context.Context, id string) error {
	return s.exec(ctx, nil, `DELETE FROM nodes WHERE id = $1`, id)
}
