package cloudformation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Stack is a stack as the service keeps it.
type Stack struct {
	StackID         string
	StackName       string
	Account         string
	Region          string
	Description     string
	Status          string
	StatusReason    string
	CreationTime    time.Time
	LastUpdatedTime time.Time
	DeletionTime    time.Time
	DisableRollback bool
	Capabilities    []string
	Tags            []Tag
	// Parameters are the values given (or defaulted), by name; NoEcho
	// ones are shown masked.
	Parameters   map[string]string
	NoEcho       map[string]bool
	TemplateBody string
	Outputs      []Output
	// Resources by logical id.
	Resources map[string]*Resource
	// Events, oldest first.
	Events     []Event
	ChangeSets []*ChangeSet
	// Node is the node that ran the stack's last operation (Options.NodeID):
	// only it ends that operation as failed if it restarts during it.
	Node string `json:",omitempty"`
}

// Tag is a stack tag.
type Tag struct{ Key, Value string }

// Output is an evaluated output.
type Output struct {
	OutputKey, OutputValue, Description string
}

// Resource is a stack's resource as created.
type Resource struct {
	LogicalID    string
	PhysicalID   string
	Type         string
	Status       string
	StatusReason string
	Timestamp    time.Time
	// Properties are the evaluated properties it was created or last
	// updated with (an update compares against them; a rollback restores
	// them).
	Properties map[string]any
	// Attrs are its Fn::GetAtt values; Ref its Ref value.
	Attrs map[string]any
	Ref   any
}

// Event is a stack event.
type Event struct {
	EventID              string
	StackID              string
	StackName            string
	LogicalResourceID    string
	PhysicalResourceID   string
	ResourceType         string
	Timestamp            time.Time
	ResourceStatus       string
	ResourceStatusReason string
	ResourceProperties   string
}

// ChangeSet is a change set of a stack.
type ChangeSet struct {
	ChangeSetID     string
	ChangeSetName   string
	Type            string // CREATE or UPDATE
	Status          string
	StatusReason    string
	ExecutionStatus string
	CreationTime    time.Time
	Description     string
	TemplateBody    string
	Parameters      map[string]string
	Capabilities    []string
	Tags            []Tag
	Changes         []Change
}

// Change is a resource change of a change set.
type Change struct {
	Action, LogicalResourceID, PhysicalResourceID, ResourceType, Replacement string
}

// stacks keeps every stack, deleted ones included (ListStacks shows
// them), in the store: each stack one record, its JSON document, put with
// the version last read, so that of two nodes changing a stack only one
// does (store.ErrStaleVersion). all is this node's copy, refreshed from
// the store before each request reads it; mu orders this node's changes.
type stacks struct {
	mu    sync.Mutex
	store store.Store
	all   []*Stack
	// saved is each stack's document and version as last read or
	// written, by stack id: a stack whose document differs is put.
	saved map[string]savedStack
}

type savedStack struct {
	doc     []byte
	version int64
}

// openStacks reads every stack of the store. The stacks of a file the
// service kept before they were kept in the store are imported first,
// once: the file is then renamed to file + ".imported".
func openStacks(ctx context.Context, st store.Store, file string) (*stacks, error) {
	if st == nil {
		return nil, errors.New("cloudformation: no store")
	}
	s := &stacks{store: st, saved: map[string]savedStack{}}
	if file != "" {
		if err := s.importFile(ctx, file); err != nil {
			return nil, err
		}
	}
	recs, err := st.ListStacks(ctx, store.ListStacksParams{})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if err := s.loadLocked(r); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// importFile puts the stacks of file into the store. A stack already
// there (an import a crash cut short, before the rename) is left as it
// is.
func (s *stacks) importFile(ctx context.Context, file string) error {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var all []*Stack
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, st := range all {
		doc, err := json.Marshal(st)
		if err != nil {
			return err
		}
		_, err = s.store.PutStack(ctx, store.PutStackParams{Account: st.Account, Region: st.Region, StackID: st.StackID,
			StackName: st.StackName, Deleted: st.Status == "DELETE_COMPLETE", Document: doc, CreatedAt: st.CreationTime})
		if err != nil && !errors.Is(err, store.ErrStaleVersion) {
			return fmt.Errorf("%s: importing stack %s: %w", file, st.StackID, err)
		}
	}
	if err := os.Rename(file, file+".imported"); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(file)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// loadLocked takes r into this node's copy: into the stack of its id
// when there is one (operations running here hold it), else as a new one.
func (s *stacks) loadLocked(r *store.Stack) error {
	if sv, ok := s.saved[r.StackID]; ok && sv.version == r.Version {
		return nil
	}
	var st Stack
	if err := json.Unmarshal(r.Document, &st); err != nil {
		return fmt.Errorf("cloudformation: stack %s: %w", r.StackID, err)
	}
	s.saved[r.StackID] = savedStack{doc: r.Document, version: r.Version}
	for _, have := range s.all {
		if have.StackID == r.StackID {
			*have = st
			return nil
		}
	}
	s.all = append(s.all, &st)
	return nil
}

// refreshLocked reads again the stacks of an account in a region, which
// other nodes may have changed.
func (s *stacks) refreshLocked(ctx context.Context, account, region string) error {
	recs, err := s.store.ListStacks(ctx, store.ListStacksParams{Account: account, Region: region})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := s.loadLocked(r); err != nil {
			return err
		}
	}
	return nil
}

// saveLocked puts every stack this node changed; s.mu is held. A stack
// another node changed first (store.ErrStaleVersion), or a new one whose
// name another node took (store.ErrAlreadyExists), is not written: this
// node's copy of it is read again (a new one dropped) and the error
// returned.
func (s *stacks) saveLocked() error {
	ctx := context.Background()
	var first error
	for i := 0; i < len(s.all); i++ {
		st := s.all[i]
		doc, err := json.Marshal(st)
		if err != nil {
			return err
		}
		sv := s.saved[st.StackID]
		if bytes.Equal(doc, sv.doc) {
			continue
		}
		v, err := s.store.PutStack(ctx, store.PutStackParams{Account: st.Account, Region: st.Region, StackID: st.StackID,
			StackName: st.StackName, Deleted: st.Status == "DELETE_COMPLETE", Document: doc, CreatedAt: st.CreationTime,
			Version: sv.version})
		if err == nil {
			s.saved[st.StackID] = savedStack{doc: doc, version: v}
			continue
		}
		if first == nil {
			first = err
		}
		if sv.version == 0 {
			s.all = append(s.all[:i], s.all[i+1:]...)
			i--
			continue
		}
		if r, gerr := s.store.GetStack(ctx, st.Account, st.Region, st.StackID); gerr == nil {
			delete(s.saved, st.StackID)
			if lerr := s.loadLocked(r); lerr != nil {
				return lerr
			}
		}
	}
	return first
}

// findLocked finds the stack of the account in the region that is not
// deleted, by name or id; or a deleted one by id. Stacks, like every
// resource, belong to one account and one region.
func (s *stacks) findLocked(account, region, nameOrID string) *Stack {
	for i := len(s.all) - 1; i >= 0; i-- {
		st := s.all[i]
		if st.Account != account || st.Region != region {
			continue
		}
		if st.StackID == nameOrID {
			return st
		}
		if st.StackName == nameOrID && st.Status != "DELETE_COMPLETE" {
			return st
		}
	}
	return nil
}

func (s *stacks) listLocked(account, region string) []*Stack {
	var out []*Stack
	for _, st := range s.all {
		if st.Account == account && st.Region == region {
			out = append(out, st)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreationTime.After(out[j].CreationTime) })
	return out
}

// deletedKept is how long a deleted stack stays listed, as on AWS
// (ListStacks shows deleted stacks for 90 days).
const deletedKept = 90 * 24 * time.Hour

// purgeLocked removes from the store the stacks deleted longer than
// deletedKept before now; s.mu is held. A stack another node changed or
// purged first is left to it.
func (s *stacks) purgeLocked(now time.Time) error {
	ctx := context.Background()
	for i := 0; i < len(s.all); i++ {
		st := s.all[i]
		if st.Status != "DELETE_COMPLETE" || st.DeletionTime.IsZero() || now.Sub(st.DeletionTime) < deletedKept {
			continue
		}
		err := s.store.DeleteStack(ctx, st.Account, st.Region, st.StackID, s.saved[st.StackID].version)
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrStaleVersion) {
			return err
		}
		delete(s.saved, st.StackID)
		s.all = append(s.all[:i], s.all[i+1:]...)
		i--
	}
	return nil
}
