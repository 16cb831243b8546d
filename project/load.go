package project

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
)

type loader struct {
	path   string // the project file as given
	dir    string // its absolute directory
	relDir string // its directory as given, for messages
	opts   Options

	problems []Problem
	rank     map[string]int // file -> order of its problems; the project file is ""

	auto map[string]string // automatic placeholder values
}

type entry struct{ key, val *yaml.Node }

func (l *loader) add(line int, field, format string, args ...any) {
	l.problems = append(l.problems, Problem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) addIn(file string, line int, field, msg string) {
	if _, ok := l.rank[file]; !ok {
		l.rank[file] = len(l.rank)
	}
	l.problems = append(l.problems, Problem{File: file, Line: line, Field: field, Message: msg})
}

const (
	secFunctions     = "functions"
	secStateMachines = "stateMachines"
	secConnections   = "connections"
	secActivities    = "activities"
	secTenants       = "tenants"
	secWorkflowAPI   = "workflowApi"
	secMediaService  = "mediaService"
	secAccounts      = "accounts"
)

var kindNames = map[string]string{
	secFunctions:     "function",
	secStateMachines: "state machine",
	secConnections:   "connection",
	secActivities:    "activity",
}

func (l *loader) load(data []byte) *Project {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		l.add(0, "", "the file is empty: declare functions, stateMachines or connections")
		return nil
	}
	if err != nil {
		l.syntax(err, data)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.add(extra.Line, "", "only one YAML document is allowed")
	} else if !errors.Is(err, io.EOF) {
		l.syntax(err, data)
	}
	if len(doc.Content) == 0 {
		l.add(0, "", "the file is empty: declare functions, stateMachines or connections")
		return nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		l.add(0, "", "the file is empty: declare functions, stateMachines or connections")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.add(root.Line, "", "must be a mapping with functions, stateMachines and connections")
		return nil
	}
	top, _ := l.object(root, "", []string{secFunctions, secStateMachines, secConnections, secActivities, secTenants, secWorkflowAPI, secMediaService, secAccounts, secS3, secServices})

	// First the names, so that every string value can use ${Name.Arn}.
	sections := map[string][]entry{}
	type seen struct {
		kind string
		line int
	}
	names := map[string]seen{}
	l.auto = map[string]string{
		"AWS::Region":    l.opts.Region,
		"AWS::AccountId": l.opts.Account,
		"AWS::Partition": arn.Partition(l.opts.Region),
	}
	for _, sec := range []string{secFunctions, secStateMachines, secConnections, secActivities} {
		e, ok := top[sec]
		if !ok {
			continue
		}
		for _, ent := range l.entries(e.val, sec) {
			name, field, line := ent.key.Value, join(sec, ent.key.Value), ent.key.Line
			kind := kindNames[sec]
			if prev, dup := names[name]; dup {
				if prev.kind == kind {
					l.add(line, field, "duplicate name; first defined on line %d", prev.line)
				} else {
					l.add(line, field, "name already used by the %s on line %d; names must be unique because ${%s.Arn} must name one thing", prev.kind, prev.line, name)
				}
				continue
			}
			names[name] = seen{kind, line}
			if msg := checkName(sec, name); msg != "" {
				l.add(line, field, "%s", msg)
			}
			sections[sec] = append(sections[sec], ent)
			switch sec {
			case secFunctions:
				fn := arn.Function(l.opts.Region, l.opts.Account, name)
				l.auto[name+".Arn"] = fn
				l.auto[name+"Arn"] = fn
			case secStateMachines:
				l.auto[name+".Arn"] = arn.StateMachine(l.opts.Region, l.opts.Account, name)
			case secConnections:
				l.auto[name+".Arn"] = arn.Connection(l.opts.Region, l.opts.Account, name)
			case secActivities:
				l.auto[name+".Arn"] = arn.Activity(l.opts.Region, l.opts.Account, name)
			}
		}
	}

	p := &Project{Path: l.path, Dir: l.dir}
	for _, e := range sections[secFunctions] {
		p.Functions = append(p.Functions, l.function(e, join(secFunctions, e.key.Value)))
	}
	for _, e := range sections[secStateMachines] {
		p.StateMachines = append(p.StateMachines, l.stateMachine(e, join(secStateMachines, e.key.Value)))
	}
	for _, e := range sections[secConnections] {
		p.Connections = append(p.Connections, l.connection(e, join(secConnections, e.key.Value)))
	}
	for _, e := range sections[secActivities] {
		p.Activities = append(p.Activities, l.activity(e, join(secActivities, e.key.Value)))
	}
	if e, ok := top[secTenants]; ok {
		p.Tenants = l.tenants(e, p)
	}
	if e, ok := top[secWorkflowAPI]; ok {
		p.WorkflowAPI = l.workflowAPI(e)
	}
	if e, ok := top[secMediaService]; ok {
		p.MediaService = l.mediaService(e, p)
	}
	l.checkTenantTrunks(p)
	if e, ok := top[secS3]; ok {
		p.S3 = l.s3(e)
	}
	if e, ok := top[secServices]; ok {
		p.Services = l.services(e)
	}
	if e, ok := top[secAccounts]; ok {
		// The credentials file's format (package auth), so that one
		// project file can carry its accounts; secrets by ${env:NAME}.
		accs, err := auth.ParseAccounts(e.val, l.opts.LookupEnv)
		if err != nil {
			l.add(e.key.Line, secAccounts, "%v", err)
		} else if _, err := auth.NewKeyring(accs); err != nil {
			l.add(e.key.Line, secAccounts, "%v", err)
		}
		p.Accounts = accs
	}
	return p
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax reports a YAML syntax error. For parser errors yaml.v3 gives the
// 0-based line where the enclosing construct starts (and no line when that is
// 0), so the line of the problem is found by parsing longer and longer
// prefixes of the file from there until one fails with the same message.
func (l *loader) syntax(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if zeroBased(msg) {
			line = problemLine(data, line+1, msg)
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
		if zeroBased(msg) {
			line = problemLine(data, 1, msg)
		} else if a, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
			a, _, _ = strings.Cut(a, "'")
			if i := bytes.Index(data, []byte("*"+a)); i >= 0 {
				line = 1 + bytes.Count(data[:i], []byte("\n"))
			}
		}
	}
	if strings.Contains(msg, "'}'") && bytes.Contains(data, []byte("${")) {
		msg += ` (quote a value holding ${...} inside { }, as in value: "${env:KEY}")`
	}
	l.add(line, "", "invalid YAML: %s", msg)
}

// problemLine returns the first line n >= from such that the file's first n
// lines fail to parse with msg; from when there is none.
func problemLine(data []byte, from int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 5000 {
		return from
	}
	for n := from; n <= len(lines); n++ {
		var node yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &node)
		if err != nil && strings.HasSuffix(err.Error(), msg) {
			return n
		}
	}
	return from
}

func zeroBased(msg string) bool {
	for _, p := range []string{
		"did not find expected key",
		"did not find expected node content",
		"did not find expected '-' indicator",
		"did not find expected ',' or",
		"found a tab character that violates indentation",
	} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// ---- YAML helpers ----

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

var identifier = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// join appends a key to a field path: functions.SendMessage, or
// stateMachines["my.machine"] for a key that is not a plain identifier.
func join(parent, key string) string {
	if !identifier.MatchString(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// entries returns the pairs of a mapping; null is an empty mapping.
func (l *loader) entries(n *yaml.Node, field string) []entry {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.add(n.Line, field, "must be a mapping")
		return nil
	}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.add(k.Line, field, "keys must be plain strings")
			continue
		}
		if k.Tag == "!!merge" {
			l.add(k.Line, field, "merge keys (<<) are not supported")
			continue
		}
		out = append(out, entry{k, v})
	}
	return out
}

// object returns the fields of a mapping whose keys must be among known. ok
// is false when n is not a mapping (null counts as an empty one).
func (l *loader) object(n *yaml.Node, field string, known []string) (map[string]entry, bool) {
	n = resolve(n)
	if !isNull(n) && n.Kind != yaml.MappingNode {
		l.add(n.Line, field, "must be a mapping")
		return nil, false
	}
	out := map[string]entry{}
	for _, e := range l.entries(n, field) {
		k := e.key.Value
		f := join(field, k)
		if !contains(known, k) {
			msg := "unknown field"
			if s := suggest(k, known); s != "" {
				msg += " (did you mean " + s + "?)"
			}
			l.add(e.key.Line, f, "%s", msg)
			continue
		}
		if prev, dup := out[k]; dup {
			l.add(e.key.Line, f, "duplicate field; first on line %d", prev.key.Line)
			continue
		}
		out[k] = e
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a string value and expands its placeholders.
func (l *loader) str(e entry, field string) (string, bool) {
	v := resolve(e.val)
	if isNull(v) {
		l.add(e.key.Line, field, "must not be empty")
		return "", false
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		l.add(v.Line, field, "must be a string")
		return "", false
	}
	return l.expand(v.Value, v.Line, field), true
}

// text reads any scalar as written (8080 is "8080") and expands it.
func (l *loader) text(e entry, field string) (string, bool) {
	v := resolve(e.val)
	if isNull(v) {
		l.add(e.key.Line, field, `must have a value (write "" for an empty string)`)
		return "", false
	}
	if v.Kind != yaml.ScalarNode {
		l.add(v.Line, field, "must be a string")
		return "", false
	}
	return l.expand(v.Value, v.Line, field), true
}

// integer reads a YAML integer.
func (l *loader) integer(e entry, field, what string) (int64, bool) {
	v := resolve(e.val)
	var n int64
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&n) != nil {
		l.add(v.Line, field, "must be %s", what)
		return 0, false
	}
	return n, true
}

// stringMap reads a mapping of strings; checkKey and checkValue, when not
// nil, return a message for a bad key or value.
func (l *loader) stringMap(e entry, field string, checkKey, checkValue func(string) string) (map[string]string, bool) {
	v := resolve(e.val)
	if !isNull(v) && v.Kind != yaml.MappingNode {
		l.add(v.Line, field, "must be a mapping")
		return nil, false
	}
	out := map[string]string{}
	lines := map[string]int{}
	ok := true
	for _, kv := range l.entries(v, field) {
		k := kv.key.Value
		f := join(field, k)
		if prev, dup := lines[k]; dup {
			l.add(kv.key.Line, f, "duplicate key; first on line %d", prev)
			ok = false
			continue
		}
		lines[k] = kv.key.Line
		if checkKey != nil {
			if msg := checkKey(k); msg != "" {
				l.add(kv.key.Line, f, "%s", msg)
				ok = false
			}
		}
		s, good := l.text(kv, f)
		if good && checkValue != nil {
			if msg := checkValue(s); msg != "" {
				l.add(kv.val.Line, f, "%s", msg)
				good = false
			}
		}
		ok = ok && good
		out[k] = s
	}
	return out, ok
}

// ---- placeholders ----

var placeholderRE = regexp.MustCompile(`\$\{([^{}]*)\}`)

// lookup returns the value of placeholder name, or a message saying why
// there is none. subs are a machine's own substitutions.
func (l *loader) lookup(name string, subs map[string]string) (string, string) {
	if v, ok := subs[name]; ok {
		return v, ""
	}
	if env, ok := strings.CutPrefix(name, "env:"); ok {
		env, def, hasDef := strings.Cut(env, ":-")
		if env == "" {
			return "", "${env:} names no environment variable"
		}
		if v, ok := l.opts.LookupEnv(env); ok && (v != "" || !hasDef) {
			return v, ""
		}
		if hasDef {
			return def, ""
		}
		return "", "environment variable " + env + " is not set"
	}
	if v, ok := l.auto[name]; ok {
		return v, ""
	}
	msg := "unknown placeholder ${" + name + "}"
	cands := make([]string, 0, len(l.auto)+len(subs))
	for k := range l.auto {
		cands = append(cands, k)
	}
	for k := range subs {
		cands = append(cands, k)
	}
	sort.Strings(cands)
	if s := suggest(name, cands); s != "" {
		msg += " (did you mean ${" + s + "}?)"
	}
	return "", msg
}

// replacement records where a placeholder was replaced, to map offsets in
// the output back to the input.
type replacement struct{ outStart, outEnd, inStart, inEnd int }

// substitute replaces every placeholder in text; report is called with the
// input offset of each one that has no value (it is then left as it is).
func (l *loader) substitute(text string, subs map[string]string, report func(offset int, msg string)) (string, []replacement) {
	matches := placeholderRE.FindAllStringSubmatchIndex(text, -1)
	if matches == nil {
		return text, nil
	}
	var b strings.Builder
	var reps []replacement
	last := 0
	for _, m := range matches {
		b.WriteString(text[last:m[0]])
		name := text[m[2]:m[3]]
		v, msg := l.lookup(name, subs)
		if msg != "" {
			report(m[0], msg)
			v = text[m[0]:m[1]]
		}
		start := b.Len()
		b.WriteString(v)
		reps = append(reps, replacement{start, b.Len(), m[0], m[1]})
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String(), reps
}

// inputOffset maps an offset in substituted text back to the input.
func inputOffset(out int, reps []replacement) int {
	delta := 0
	for _, r := range reps {
		if out < r.outStart {
			break
		}
		if out < r.outEnd {
			return r.inStart
		}
		delta = r.inEnd - r.outEnd
	}
	return out + delta
}

// expand substitutes the placeholders of a project-file value.
func (l *loader) expand(s string, line int, field string) string {
	out, _ := l.substitute(s, nil, func(_ int, msg string) { l.add(line, field, "%s", msg) })
	return out
}

func lineAt(text string, offset int) int {
	if offset > len(text) {
		offset = len(text)
	}
	return 1 + strings.Count(text[:offset], "\n")
}

// ---- names ----

var (
	functionName   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	connectionName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

const machineNameForbidden = "<>{}[]?*\"#%\\^|~`$&,;:/"

// CheckName says what is wrong with name as the name of a resource of the
// project file's section ("functions", "stateMachines", "connections" or
// "activities"), or "" when it is valid. A deployment that arrives over
// HTTP has not been through Load on the server, which checks its names
// with this.
func CheckName(section, name string) string {
	if _, ok := kindNames[section]; !ok {
		return "unknown section " + section
	}
	return checkName(section, name)
}

func checkName(section, name string) string {
	switch section {
	case secFunctions:
		if !functionName.MatchString(name) {
			return "invalid function name: use 1 to 64 letters, digits, hyphens or underscores"
		}
	case secStateMachines:
		n := utf8.RuneCountInString(name)
		bad := n < 1 || n > 80 || !utf8.ValidString(name)
		for _, r := range name {
			if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(machineNameForbidden, r) {
				bad = true
			}
		}
		if bad {
			return "invalid state machine name: use 1 to 80 characters, none of them whitespace or any of " + machineNameForbidden
		}
	case secActivities:
		if !activityName.MatchString(name) {
			return "invalid activity name: use 1 to 80 letters, digits, hyphens or underscores"
		}
	case secConnections:
		if !connectionName.MatchString(name) {
			return "invalid connection name: use 1 to 64 letters, digits, dots, hyphens or underscores"
		}
	}
	return ""
}

// ---- functions ----

var (
	functionKeys = []string{"runtime", "handler", "code", "timeout", "memory", "concurrency", "environment"}
	nodeRuntime  = regexp.MustCompile(`^nodejs[0-9]+\.x$`)
	envName      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	reservedEnv  = map[string]bool{
		"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
		"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
		"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
		"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true,
		"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
		"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
	}
)

const (
	minTimeout = time.Second
	maxTimeout = 900 * time.Second
	minMemory  = 128
	maxMemory  = 10240
	maxEnvSize = 4096
	maxHandler = 128
)

func validRuntime(r string) bool {
	switch r {
	case "provided", "provided.al2", "provided.al2023", "go1.x":
		return true
	}
	return nodeRuntime.MatchString(r)
}

func (l *loader) function(e entry, field string) Function {
	f := Function{
		Name:     e.key.Value,
		ARN:      arn.Function(l.opts.Region, l.opts.Account, e.key.Value),
		Timeout:  DefaultTimeout,
		MemoryMB: DefaultMemoryMB,
		Line:     e.key.Line,
	}
	o, ok := l.object(e.val, field, functionKeys)
	if !ok {
		return f
	}
	runtimeOK := false
	if v, has := o["runtime"]; !has {
		l.add(f.Line, field+".runtime", "required")
	} else if s, good := l.str(v, field+".runtime"); good {
		if validRuntime(s) {
			f.Runtime, runtimeOK = s, true
		} else {
			l.add(v.val.Line, field+".runtime", "unsupported runtime %q (use nodejsNN.x, provided, provided.al2, provided.al2023 or go1.x)", s)
		}
	}

	codeOK := false
	codeWritten := ""
	if v, has := o["code"]; !has {
		l.add(f.Line, field+".code", "required")
	} else if s, good := l.str(v, field+".code"); good {
		codeWritten = s
		f.CodeDir = l.abs(s)
		switch st, err := os.Stat(f.CodeDir); {
		case err != nil && errors.Is(err, os.ErrNotExist):
			l.add(v.val.Line, field+".code", "directory %s does not exist", s)
		case err != nil:
			l.add(v.val.Line, field+".code", "%v", err)
		case !st.IsDir():
			l.add(v.val.Line, field+".code", "%s is not a directory", s)
		default:
			codeOK = true
		}
	}

	v, has := o["handler"]
	hf := field + ".handler"
	switch {
	case has:
		if s, good := l.str(v, hf); good {
			f.Handler = s
			if runtimeOK {
				if msg := l.checkHandler(f.Runtime, s, f.CodeDir, codeWritten, codeOK); msg != "" {
					l.add(v.val.Line, hf, "%s", msg)
				}
			}
		}
	case runtimeOK && !strings.HasPrefix(f.Runtime, "provided"):
		l.add(f.Line, hf, "required for %s", f.Runtime)
	}

	if v, has := o["timeout"]; has {
		if d, good := l.timeout(v, field+".timeout"); good {
			f.Timeout = d
		}
	}
	if v, has := o["memory"]; has {
		if n, good := l.integer(v, field+".memory", "a whole number of MB"); good {
			if n < minMemory || n > maxMemory {
				l.add(v.val.Line, field+".memory", "must be between %d and %d (MB)", minMemory, maxMemory)
			} else {
				f.MemoryMB = int(n)
			}
		}
	}
	if v, has := o["concurrency"]; has {
		if n, good := l.integer(v, field+".concurrency", "a whole number"); good {
			if n < 1 || n > 1<<31-1 {
				l.add(v.val.Line, field+".concurrency", "must be at least 1 (leave it out for unreserved concurrency)")
			} else {
				f.Concurrency = int(n)
			}
		}
	}
	if v, has := o["environment"]; has {
		env, good := l.stringMap(v, field+".environment", func(k string) string {
			switch {
			case !envName.MatchString(k):
				return "invalid environment variable name: start with a letter, then letters, digits or underscores"
			case reservedEnv[k]:
				return "reserved by Lambda"
			}
			return ""
		}, nil)
		size := 0
		for k, val := range env {
			size += len(k) + len(val)
		}
		if good && size > maxEnvSize {
			l.add(v.key.Line, field+".environment", "%d bytes in all, more than Lambda's 4 KB", size)
		}
		f.Env = env
	}
	return f
}

func (l *loader) checkHandler(runtime, h, codeDir, codeWritten string, codeOK bool) string {
	if len(h) > maxHandler {
		return fmt.Sprintf("longer than %d characters", maxHandler)
	}
	if strings.IndexFunc(h, unicode.IsSpace) >= 0 {
		return "must not contain whitespace"
	}
	if !nodeRuntime.MatchString(runtime) {
		return ""
	}
	slash := strings.LastIndex(h, "/")
	base := h[slash+1:]
	dot := strings.Index(base, ".")
	if dot <= 0 || dot == len(base)-1 {
		return "must be FILE.EXPORT, as in index.handler"
	}
	module := h[:slash+1] + base[:dot]
	if !filepath.IsLocal(filepath.FromSlash(module)) {
		return "the file must be inside the code directory"
	}
	if !codeOK {
		return ""
	}
	for _, ext := range []string{".js", ".mjs", ".cjs"} {
		if st, err := os.Stat(filepath.Join(codeDir, filepath.FromSlash(module+ext))); err == nil && !st.IsDir() {
			return ""
		}
	}
	return fmt.Sprintf("no %s.js, .mjs or .cjs in %s", module, codeWritten)
}

func (l *loader) timeout(e entry, field string) (time.Duration, bool) {
	const what = "must be a duration such as 10s or a number of seconds"
	v := resolve(e.val)
	var d time.Duration
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!int":
		var n int64
		if v.Decode(&n) != nil {
			l.add(v.Line, field, what)
			return 0, false
		}
		if n < 1 || n > 900 {
			l.add(v.Line, field, "must be between 1s and 900s")
			return 0, false
		}
		d = time.Duration(n) * time.Second
	case v.Kind == yaml.ScalarNode && v.Tag == "!!str":
		s := l.expand(v.Value, v.Line, field)
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				l.add(v.Line, field, what)
				return 0, false
			}
			if n < 1 || n > 900 {
				l.add(v.Line, field, "must be between 1s and 900s")
				return 0, false
			}
			d = time.Duration(n) * time.Second
		}
	default:
		l.add(v.Line, field, what)
		return 0, false
	}
	if d < minTimeout || d > maxTimeout {
		l.add(v.Line, field, "must be between 1s and 900s")
		return 0, false
	}
	if d%time.Second != 0 {
		l.add(v.Line, field, "must be a whole number of seconds")
		return 0, false
	}
	return d, true
}

// abs resolves a path of the project file against its directory.
func (l *loader) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.dir, p)
}

// display is a path relative to the project file as a path the user can open
// from where Load was called.
func (l *loader) display(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.relDir, p)
}

// ---- state machines ----

var (
	machineKeys      = []string{"definition", "type", "roleArn", "substitutions", "tags"}
	substitutionName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	roleARN          = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
)

func (l *loader) stateMachine(e entry, field string) StateMachine {
	m := StateMachine{
		Name: e.key.Value,
		ARN:  arn.StateMachine(l.opts.Region, l.opts.Account, e.key.Value),
		Type: Standard,
		Line: e.key.Line,
	}
	o, ok := l.object(e.val, field, machineKeys)
	if !ok {
		return m
	}
	if v, has := o["type"]; has {
		if s, good := l.str(v, field+".type"); good {
			if s != Standard && s != Express {
				l.add(v.val.Line, field+".type", "must be STANDARD or EXPRESS")
			} else {
				m.Type = s
			}
		}
	}
	if v, has := o["roleArn"]; has {
		if s, good := l.str(v, field+".roleArn"); good {
			if !roleARN.MatchString(s) {
				l.add(v.val.Line, field+".roleArn", "must be an IAM role ARN such as arn:aws:iam::123456789012:role/NAME")
			} else {
				m.RoleArn = s
			}
		}
	}
	subsOK := true
	if v, has := o["substitutions"]; has {
		m.Substitutions, subsOK = l.stringMap(v, field+".substitutions", func(k string) string {
			if !substitutionName.MatchString(k) {
				return "invalid substitution name: use letters, digits, dots, hyphens or underscores"
			}
			return ""
		}, nil)
	}
	if v, has := o["tags"]; has {
		m.Tags, _ = l.stringMap(v, field+".tags", func(k string) string {
			switch {
			case utf8.RuneCountInString(k) > 128:
				return "tag keys are at most 128 characters"
			case strings.HasPrefix(strings.ToLower(k), "aws:"):
				return "tag keys starting with aws: are reserved"
			}
			return ""
		}, func(v string) string {
			if utf8.RuneCountInString(v) > 256 {
				return "tag values are at most 256 characters"
			}
			return ""
		})
	}

	df := field + ".definition"
	v, has := o["definition"]
	if !has {
		l.add(m.Line, df, "required")
		return m
	}
	s, good := l.str(v, df)
	if !good {
		return m
	}
	m.DefinitionFile = l.abs(s)
	data, err := os.ReadFile(m.DefinitionFile)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		l.add(v.val.Line, df, "file %s does not exist", s)
		return m
	case err != nil:
		if st, serr := os.Stat(m.DefinitionFile); serr == nil && st.IsDir() {
			l.add(v.val.Line, df, "%s is a directory, not a file", s)
		} else {
			l.add(v.val.Line, df, "%v", err)
		}
		return m
	}
	if !subsOK {
		return m // their problems are reported; don't add unknown placeholders for them
	}
	m.Definition = l.definition(string(data), l.display(s), df, m.Substitutions)
	return m
}

// definition substitutes a definition's placeholders and checks that the
// result is JSON. file is the definition as shown in messages.
func (l *loader) definition(text, file, field string, subs map[string]string) string {
	failed := false
	out, reps := l.substitute(text, subs, func(off int, msg string) {
		failed = true
		l.addIn(file, lineAt(text, off), field, msg)
	})
	if failed {
		return out
	}
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		var se *json.SyntaxError
		line := 0
		if errors.As(err, &se) {
			off := int(se.Offset) - 1
			if off < 0 {
				off = 0
			}
			line = lineAt(text, inputOffset(off, reps))
		}
		msg := "invalid JSON"
		if len(reps) > 0 {
			msg += " after substitution"
		}
		l.addIn(file, line, field, msg+": "+err.Error())
	}
	return out
}

// ---- connections ----

var (
	connectionKeys = []string{"apiKey", "basic", "oauth", "invocation"}
	apiKeyKeys     = []string{"name", "value"}
	basicKeys      = []string{"username", "password"}
	oauthKeys      = []string{"tokenUrl", "clientId", "clientSecret", "method", "scope", "bodyParameters", "headerParameters", "queryParameters"}
	invocationKeys = []string{"headers", "queryParameters", "bodyParameters"}
)

func (l *loader) connection(e entry, field string) Connection {
	c := Connection{
		Name: e.key.Value,
		ARN:  arn.Connection(l.opts.Region, l.opts.Account, e.key.Value),
		Line: e.key.Line,
	}
	o, ok := l.object(e.val, field, connectionKeys)
	if !ok {
		return c
	}
	var kinds []entry
	for _, k := range []string{"apiKey", "basic", "oauth"} {
		if v, has := o[k]; has {
			kinds = append(kinds, v)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].key.Line < kinds[j].key.Line })
	if len(kinds) == 0 {
		l.add(c.Line, field, "needs one of apiKey, basic or oauth")
	}
	for i, k := range kinds {
		if i > 0 {
			l.add(k.key.Line, join(field, k.key.Value), "a connection has only one of apiKey, basic or oauth; %s is on line %d", kinds[0].key.Value, kinds[0].key.Line)
			continue
		}
		f := join(field, k.key.Value)
		switch k.key.Value {
		case "apiKey":
			if a, ok := l.object(k.val, f, apiKeyKeys); ok {
				c.APIKey = &APIKeyAuth{
					Name:  l.required(a, k, f, "name"),
					Value: l.required(a, k, f, "value"),
				}
			}
		case "basic":
			if a, ok := l.object(k.val, f, basicKeys); ok {
				c.Basic = &BasicAuth{
					Username: l.required(a, k, f, "username"),
					Password: l.required(a, k, f, "password"),
				}
			}
		case "oauth":
			c.OAuth = l.oauth(k, f)
		}
	}
	if v, has := o["invocation"]; has {
		f := field + ".invocation"
		if a, ok := l.object(v.val, f, invocationKeys); ok {
			c.InvocationHeaders = l.optionalMap(a, f, "headers")
			c.InvocationQueryParameters = l.optionalMap(a, f, "queryParameters")
			c.InvocationBodyParameters = l.optionalMap(a, f, "bodyParameters")
		}
	}
	return c
}

// required reads the non-empty string key of object o, which was read from parent.
func (l *loader) required(o map[string]entry, parent entry, field, key string) string {
	f := field + "." + key
	v, has := o[key]
	if !has {
		l.add(parent.key.Line, f, "required")
		return ""
	}
	s, ok := l.str(v, f)
	if ok && s == "" {
		l.add(v.val.Line, f, "must not be empty")
	}
	return s
}

func (l *loader) optionalMap(o map[string]entry, field, key string) map[string]string {
	v, has := o[key]
	if !has {
		return nil
	}
	m, _ := l.stringMap(v, field+"."+key, nil, nil)
	return m
}

func (l *loader) oauth(k entry, f string) *OAuth {
	a, ok := l.object(k.val, f, oauthKeys)
	if !ok {
		return nil
	}
	oa := &OAuth{
		TokenURL:     l.required(a, k, f, "tokenUrl"),
		ClientID:     l.required(a, k, f, "clientId"),
		ClientSecret: l.required(a, k, f, "clientSecret"),
		Method:       "POST",
	}
	if oa.TokenURL != "" {
		u, err := url.Parse(oa.TokenURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.add(a["tokenUrl"].val.Line, f+".tokenUrl", "must be an http or https URL")
		}
	}
	if v, has := a["method"]; has {
		if s, good := l.str(v, f+".method"); good {
			switch s {
			case "GET", "POST", "PUT":
				oa.Method = s
			default:
				l.add(v.val.Line, f+".method", "must be GET, POST or PUT")
			}
		}
	}
	if v, has := a["scope"]; has {
		oa.Scope, _ = l.str(v, f+".scope")
	}
	oa.BodyParameters = l.optionalMap(a, f, "bodyParameters")
	oa.HeaderParameters = l.optionalMap(a, f, "headerParameters")
	oa.QueryParameters = l.optionalMap(a, f, "queryParameters")
	return oa
}

// ---- suggestions ----

// suggest returns the candidate closest to s when it is close enough to be a
// likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := distance(strings.ToLower(s), strings.ToLower(c))
		limit := 2
		if len(c) <= 4 {
			limit = 1
		}
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance: insertions, deletions,
// substitutions and transpositions of neighbours each cost 1.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
