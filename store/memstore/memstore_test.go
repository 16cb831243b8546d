package memstore

import (
	"testing"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/storetest"
)

// The in-memory driver passes the same suite as SQLite: the suite tests the
// contract, not one database.
func TestStore(t *testing.T) {
	storetest.Exercise(t, func(*testing.T) store.Store { return New() })
}

// Shared passes it too, with the leases and fences of a store several
// nodes share.
func TestShared(t *testing.T) {
	storetest.Exercise(t, func(*testing.T) store.Store { return NewShared(16) })
}
