package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// walSyncer makes commits durable beside the committer. With Options.Sync
// the writer's connection runs with synchronous=NORMAL, so its COMMIT
// writes the WAL frames but does not fsync them; the committer hands each
// batch to the syncer, which fsyncs the WAL file and only then answers the
// batch's callers. Meanwhile the committer applies and commits the next
// batch: a group commit's fsync, which is most of a COMMIT under
// synchronous=FULL, overlaps the next batch's statements instead of
// adding to them. One fsync covers every batch committed before it, so
// the syncer answers all the batches queued while it waited at once.
//
// What the callers see is what synchronous=FULL gave them: no write is
// answered before its commit is on disk, and since the WAL is only ever
// appended to (SQLite's checksums chain each frame to the ones before it,
// so recovery keeps a prefix of the commits), a durable batch implies every
// earlier one is. What differs is that another connection can read a
// batch between its COMMIT and its fsync; the read methods wait for the
// fsync before they return (see Store.durable), so no read returns state
// a power loss could still take back. Checkpoints (on the checkpointer's
// connection, and SQLite's own in the writer's COMMIT) sync the WAL before
// they copy it, as they do under FULL.
type walSyncer struct {
	f *os.File // the database's -wal file
	// fsync is f.Sync; tests replace it before the first write.
	fsync func() error
	in    chan syncBatch
	done  chan struct{}

	// committed counts the batches whose COMMIT has begun (a batch can be
	// read from the moment its COMMIT publishes it, before the statement
	// returns); synced is the count the last fsync covered.
	committed, synced atomic.Uint64

	mu   sync.Mutex
	cond *sync.Cond // broadcast when synced or failed changes
	// failed is the first fsync error. After it the store refuses every
	// write: the kernel may have dropped the pages that failed to reach
	// the disk (and reports it only once), so no later fsync can vouch
	// for them.
	failed error
}

// syncBatch is a committed (or failed) batch waiting for its answers.
type syncBatch struct {
	ops  []*op
	errs []error
	// upTo is committed as the batch ended: its answers wait for an fsync
	// that covers it.
	upTo uint64
}

// syncDepth is how many batches the committer may run ahead of the fsync.
// One is enough to overlap a batch with the last one's fsync; a few more
// absorb a slow fsync without stalling the committer.
const syncDepth = 4

func newWALSyncer(dbPath string) (*walSyncer, error) {
	walPath := dbPath + "-wal"
	f, err := os.OpenFile(walPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the WAL to sync it: %w", err)
	}
	// SQLite syncs the directory after creating the WAL under FULL; the
	// WAL may have just been created, so its directory entry is made
	// durable here once.
	if runtime.GOOS != "windows" {
		if d, err := os.Open(filepath.Dir(walPath)); err == nil {
			err = d.Sync()
			d.Close()
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("syncing the WAL's directory: %w", err)
			}
		}
	}
	y := &walSyncer{f: f, fsync: f.Sync, in: make(chan syncBatch, syncDepth), done: make(chan struct{})}
	y.cond = sync.NewCond(&y.mu)
	return y, nil
}

// err is the fsync failure that broke the store, or nil.
func (y *walSyncer) err() error {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.failed
}

// wait returns once every batch counted in committed when it is called
// (or before) is durable, or the store is broken.
func (y *walSyncer) wait() error {
	upTo := y.committed.Load()
	if y.synced.Load() >= upTo {
		return nil
	}
	y.mu.Lock()
	defer y.mu.Unlock()
	for y.synced.Load() < upTo && y.failed == nil {
		y.cond.Wait()
	}
	return y.failed
}

// loop fsyncs and answers batches until in is closed.
func (y *walSyncer) loop(w *writer) {
	defer close(y.done)
	var pending []syncBatch
	for b := range y.in {
		pending = append(pending[:0], b)
	drain:
		for {
			select {
			case b, ok := <-y.in:
				if !ok {
					break drain
				}
				pending = append(pending, b)
			default:
				break drain
			}
		}
		upTo := pending[len(pending)-1].upTo
		serr := y.sync(upTo)
		for _, b := range pending {
			if serr != nil {
				for i := range b.errs {
					if b.errs[i] == nil {
						b.errs[i] = serr
					}
				}
			}
			w.batches.Add(1)
			w.batched.Add(int64(len(b.ops)))
			for i, o := range b.ops {
				o.answer(b.errs[i])
			}
		}
		clear(pending)
	}
}

// sync makes the commits counted up to upTo durable.
func (y *walSyncer) sync(upTo uint64) error {
	if err := y.err(); err != nil {
		return err
	}
	if y.synced.Load() >= upTo {
		return nil
	}
	err := y.fsync()
	y.mu.Lock()
	if err != nil {
		y.failed = fmt.Errorf("store/sqlite: fsync of the WAL: %w", err)
		err = y.failed
	} else {
		y.synced.Store(upTo)
	}
	y.cond.Broadcast()
	y.mu.Unlock()
	return err
}

// close waits for the answers still queued, then closes the WAL file.
func (y *walSyncer) close() error {
	close(y.in)
	<-y.done
	return y.f.Close()
}
