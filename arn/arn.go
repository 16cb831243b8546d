// Package arn builds and parses the Amazon Resource Names Statecraft
// uses, so that every package writes and reads them one way: the
// partition follows the region (aws-cn for cn-*, aws-us-gov for
// us-gov-*), and a Step Functions ARN is split into its parts once.
//
//	arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME
//	arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME:VERSION
//	arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME:ALIAS
//	arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME/LABEL        (a Distributed Map's)
//	arn:PARTITION:states:REGION:ACCOUNT:execution:NAME:EXECUTION
//	arn:PARTITION:states:REGION:ACCOUNT:express:NAME:EXECUTION:ID
//	arn:PARTITION:states:REGION:ACCOUNT:mapRun:NAME/LABEL:ID
//	arn:PARTITION:states:REGION:ACCOUNT:activity:NAME
//	arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME
//	arn:PARTITION:events:REGION:ACCOUNT:connection/NAME
//	arn:PARTITION:iam::ACCOUNT:role/NAME
//
// It only builds and splits; what a malformed ARN means to a caller (an
// InvalidArn error, a failed task) is the caller's to say.
package arn

import (
	"errors"
	"strconv"
	"strings"
)

// ARN is an ARN split into its six fields; Resource is everything after
// the account, colons included.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

// ErrMalformed is returned by Parse for a string that is not an ARN.
var ErrMalformed = errors.New("arn: not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)")

// Parse splits s into its fields. It checks the shape only: "arn", a
// partition, a service and a resource; region and account may be empty
// (arn:aws:states:::lambda:invoke, IAM ARNs).
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, ErrMalformed
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// Partition is the partition of a region's ARNs.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// ValidRegion tells whether s looks like a region name (lower-case
// letters, digits and dashes, starting with a letter, at most 32), so
// that what a client puts in a credential scope cannot end up in an ARN
// otherwise.
func ValidRegion(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidAccount tells whether s is an account id: 12 digits.
func ValidAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func build(service, region, account, resource string) string {
	return ARN{Partition: Partition(region), Service: service, Region: region, Account: account, Resource: resource}.String()
}

// StatesPrefix starts every Step Functions ARN of an account in a region:
// what a listing of that account's resources matches.
func StatesPrefix(region, account string) string {
	return "arn:" + Partition(region) + ":states:" + region + ":" + account + ":"
}

// StateMachine is the ARN of a state machine.
func StateMachine(region, account, name string) string {
	return build("states", region, account, "stateMachine:"+name)
}

// Activity is the ARN of an activity.
func Activity(region, account, name string) string {
	return build("states", region, account, "activity:"+name)
}

// Function is the ARN of a Lambda function.
func Function(region, account, name string) string {
	return build("lambda", region, account, "function:"+name)
}

// Connection is the ARN of an EventBridge connection (HTTP tasks').
func Connection(region, account, name string) string {
	return build("events", region, account, "connection/"+name)
}

// Role is the ARN of an IAM role; IAM ARNs name no region, but their
// partition is the region's.
func Role(region, account, name string) string {
	return "arn:" + Partition(region) + ":iam::" + account + ":role/" + name
}

// User is the ARN of an IAM user, as AccessDenied messages name one.
func User(region, account, name string) string {
	return "arn:" + Partition(region) + ":iam::" + account + ":user/" + name
}

// Version is the ARN of version n of a state machine.
func Version(stateMachine string, n int64) string {
	return stateMachine + ":" + strconv.FormatInt(n, 10)
}

// SplitVersion splits a version ARN into its machine's ARN and number; ok
// is false when s is not "MACHINE:N" with N >= 1 written canonically (no
// sign, no leading zero).
func SplitVersion(s string) (stateMachine string, n int64, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, false
	}
	q := s[i+1:]
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != q {
		return "", 0, false
	}
	return s[:i], n, true
}

// Alias is the ARN of an alias of a state machine.
func Alias(stateMachine, name string) string { return stateMachine + ":" + name }

// SplitAlias splits an alias ARN into its machine's ARN and the alias
// name; ok is false when s is not "...:stateMachine:MACHINE:NAME" with a
// name that holds a character other than a digit (all digits is a
// version).
func SplitAlias(s string) (stateMachine, name string, ok bool) {
	a, err := ParseStates(s)
	if err != nil || a.Type != "stateMachine" || a.Label != "" || a.Qualifier == "" || strings.Contains(a.Qualifier, ":") {
		return "", "", false
	}
	if strings.Trim(a.Qualifier, "0123456789") == "" {
		return "", "", false
	}
	i := len(s) - len(a.Qualifier) - 1
	return s[:i], a.Qualifier, true
}

// Execution is the ARN of a Standard execution of a state machine.
func Execution(stateMachine, name string) string {
	return strings.Replace(stateMachine, ":stateMachine:", ":execution:", 1) + ":" + name
}

// ExpressExecution is the ARN of an Express execution: AWS adds an id, so
// that a name may be reused.
func ExpressExecution(stateMachine, name, id string) string {
	return strings.Replace(stateMachine, ":stateMachine:", ":express:", 1) + ":" + name + ":" + id
}

// MapRun is the ARN of a Distributed Map's run, labelled by the Map
// state's label.
func MapRun(stateMachine, label, id string) string {
	return strings.Replace(stateMachine, ":stateMachine:", ":mapRun:", 1) + "/" + label + ":" + id
}

// MapRunChild is the ARN of child execution name of a Map Run, and of the
// state machine it runs: the Map Run arn:...:mapRun:MACHINE/LABEL:ID runs
// arn:...:execution:MACHINE/LABEL:NAME of arn:...:stateMachine:MACHINE/LABEL.
func MapRunChild(mapRun, name string) (execution, stateMachine string) {
	base := mapRun[:strings.LastIndexByte(mapRun, ':')]
	return strings.Replace(base, ":mapRun:", ":execution:", 1) + ":" + name,
		strings.Replace(base, ":mapRun:", ":stateMachine:", 1)
}

// MapRunExpressChild is the ARN of an Express child execution of a Map
// Run (ExecutionType EXPRESS), and of the state machine it runs: the Map
// Run arn:...:mapRun:MACHINE/LABEL:ID runs
// arn:...:express:MACHINE/LABEL:NAME:EXPRESSID of
// arn:...:stateMachine:MACHINE/LABEL.
func MapRunExpressChild(mapRun, name, id string) (execution, stateMachine string) {
	base := mapRun[:strings.LastIndexByte(mapRun, ':')]
	return strings.Replace(base, ":mapRun:", ":express:", 1) + ":" + name + ":" + id,
		strings.Replace(base, ":mapRun:", ":stateMachine:", 1)
}

// States is a Step Functions ARN split into what its resource names.
type States struct {
	ARN
	// Type is the resource type: stateMachine, execution, express,
	// mapRun, activity.
	Type string
	// Name is the state machine's or activity's name.
	Name string
	// Label is a Distributed Map's label ("NAME/LABEL").
	Label string
	// Qualifier is what follows the name: a version number or alias for
	// a state machine, the execution's name for an execution, the
	// execution name and id for an Express execution ("NAME:ID"), the
	// id for a Map Run.
	Qualifier string
}

// ParseStates parses a Step Functions ARN. The resource must be
// TYPE:NAME[/LABEL][:QUALIFIER...]; names are not checked here.
func ParseStates(s string) (States, error) {
	a, err := Parse(s)
	if err != nil {
		return States{}, err
	}
	if a.Service != "states" {
		return States{}, ErrMalformed
	}
	typ, rest, ok := strings.Cut(a.Resource, ":")
	if !ok || typ == "" || rest == "" {
		return States{}, ErrMalformed
	}
	out := States{ARN: a, Type: typ}
	out.Name, out.Qualifier, _ = strings.Cut(rest, ":")
	out.Name, out.Label, _ = strings.Cut(out.Name, "/")
	return out, nil
}

// Scope is the partition, region and account of a resource: what decides
// whose it is.
func (a ARN) Scope() (partition, region, account string) { return a.Partition, a.Region, a.Account }

// SameScope tells whether two ARNs belong to the same account in the same
// partition and region. An ARN without an account (arn:aws:states:::
// lambda:invoke) is in every scope.
func SameScope(a, b string) bool {
	x, err1 := Parse(a)
	y, err2 := Parse(b)
	if err1 != nil || err2 != nil || x.Account == "" || y.Account == "" {
		return true
	}
	return x.Partition == y.Partition && x.Region == y.Region && x.Account == y.Account
}

// Stack is the ARN of a CloudFormation stack; id is its unique suffix.
func Stack(region, account, name, id string) string {
	return build("cloudformation", region, account, "stack/"+name+"/"+id)
}

// ChangeSet is the ARN of a CloudFormation change set.
func ChangeSet(region, account, name, id string) string {
	return build("cloudformation", region, account, "changeSet/"+name+"/"+id)
}

// Policy is the ARN of an IAM managed policy.
func Policy(region, account, name string) string {
	return "arn:" + Partition(region) + ":iam::" + account + ":policy/" + name
}

// AWSManagedPolicy is the ARN of a policy AWS manages (SAM names them
// by name alone); the aws partition's, as SAM builds them.
func AWSManagedPolicy(name string) string {
	return "arn:aws:iam::aws:policy/" + name
}
