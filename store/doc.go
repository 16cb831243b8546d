// Package store defines how Statecraft persists state machines, their
// versions and aliases, activities, tags, executions and their histories.
// It holds the contract and nothing else: the Store interface's doc is
// the contract every driver keeps (transactions, ordering, conflicts, limits,
// and what several nodes sharing one database must add);
// store/storetest is the suite that checks it, one suite for every driver
// (in the manner of River's driver tests). store/sqlite is the embedded
// driver the server runs on by default; store/postgres keeps the same
// contract in a PostgreSQL schema (statecraft server --db) that any number
// of nodes share, as a Cluster (shard leases and fences); store/memstore
// keeps everything in memory, for tests, and its Shared is a Cluster for
// several engines of one process. The package imports nothing else of Statecraft, so a driver
// depends on the contract and not on the engine.
//
// Executions are event-sourced: a step commits the interpreter input it
// applied, the history events it produced, and the timers and tasks it
// created or closed, in one transaction. An execution that is not in
// memory is rebuilt by replaying its inputs through the (deterministic)
// interpreter, so nothing but rows is kept for a waiting execution. The
// engine writes every step; the API writes state machines, their
// versions and aliases, activities and tags, and reads what both wrote;
// package retention purges closed executions.
//
// Opening the server's store, and handing it to the engine and the API
// (cli/server.go):
//
//	st, err := sqlite.Open(filepath.Join(dataDir, "statecraft.db"), sqlite.DefaultOptions())
//	defer st.Close()
//	eng := engine.New(st, engine.Options{...})
//	handler := api.New(st, eng, api.Options{...})
//
// A new driver proves that it keeps the contract with one test, which
// runs every area of the suite on fresh stores:
//
//	func TestStore(t *testing.T) { storetest.Exercise(t, open) }
package store
