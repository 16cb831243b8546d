package cloudformation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
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

// stacks keeps every stack, deleted ones included (ListStacks shows them),
// in a JSON file in the server's data directory, rewritten whole (to a
// temporary file, then renamed) on every change.
type stacks struct {
	mu   sync.Mutex
	file string
	all  []*Stack
}

func openStacks(file string) (*stacks, error) {
	s := &stacks{file: file}
	if file == "" {
		return s, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &s.all); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

// saveLocked writes every stack; s.mu is held.
func (s *stacks) saveLocked() error {
	if s.file == "" {
		return nil
	}
	b, err := json.Marshal(s.all)
	if err != nil {
		return err
	}
	tmp := s.file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.file); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(s.file)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
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
