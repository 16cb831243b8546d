package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
)

const (
	typeStandard = "STANDARD"
	typeExpress  = "EXPRESS"
	// maxTags is AWS's limit of tags per resource.
	maxTags = 50
)

type loggingConfig struct {
	Level                string           `json:"level"`
	IncludeExecutionData bool             `json:"includeExecutionData"`
	Destinations         []logDestination `json:"destinations,omitempty"`
}

type logDestination struct {
	CloudWatchLogsLogGroup *logGroup `json:"cloudWatchLogsLogGroup,omitempty"`
}

type logGroup struct {
	LogGroupArn string `json:"logGroupArn,omitempty"`
}

type tracingConfig struct {
	Enabled bool `json:"enabled"`
}

// Stored configurations are the canonical JSON of these structs, so that
// the idempotency check of CreateStateMachine compares meaning, not the
// client's spelling; "" (never configured) reads as AWS's defaults.
func loggingText(lc *loggingConfig) string {
	if lc == nil {
		return ""
	}
	b, _ := json.Marshal(lc)
	return string(b)
}

func tracingText(tc *tracingConfig) string {
	if tc == nil {
		return ""
	}
	b, _ := json.Marshal(tc)
	return string(b)
}

func loggingOf(text string) *loggingConfig {
	lc := &loggingConfig{Level: "OFF"}
	if text != "" {
		_ = json.Unmarshal([]byte(text), lc)
	}
	return lc
}

func tracingOf(text string) *tracingConfig {
	tc := &tracingConfig{}
	if text != "" {
		_ = json.Unmarshal([]byte(text), tc)
	}
	return tc
}

func sameLogging(a, b string) bool { return loggingText(loggingOf(a)) == loggingText(loggingOf(b)) }
func sameTracing(a, b string) bool { return tracingText(tracingOf(a)) == tracingText(tracingOf(b)) }

// readLogging reads loggingConfiguration; nil when absent.
func readLogging(in *fields) *loggingConfig {
	f := in.object("loggingConfiguration", false)
	if f == nil {
		return nil
	}
	lc := &loggingConfig{Level: "OFF"}
	if level, ok := f.enum("level", false, "ALL", "ERROR", "FATAL", "OFF"); ok {
		lc.Level = level
	}
	lc.IncludeExecutionData, _ = f.boolean("includeExecutionData")
	items, _ := f.list("destinations", false)
	for i, raw := range items {
		path := f.memberPath("destinations", i)
		d := f.sub(path+".", path, raw)
		if d == nil {
			return nil
		}
		var dest logDestination
		if g := d.object("cloudWatchLogsLogGroup", false); g != nil {
			a, _ := g.str("logGroupArn", arnStr)
			dest.CloudWatchLogsLogGroup = &logGroup{LogGroupArn: a}
		}
		lc.Destinations = append(lc.Destinations, dest)
	}
	return lc
}

// check applies the rules AWS enforces beyond the model. Statecraft keeps
// the configuration (so infrastructure tools that always send one work and
// read it back) but writes no CloudWatch logs.
func (lc *loggingConfig) check() *apiError {
	if lc == nil {
		return nil
	}
	if len(lc.Destinations) > 1 || lc.Level != "OFF" && len(lc.Destinations) == 0 {
		return serviceError("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination.")
	}
	for _, d := range lc.Destinations {
		if d.CloudWatchLogsLogGroup == nil || !strings.HasPrefix(d.CloudWatchLogsLogGroup.LogGroupArn, "arn:") {
			return serviceError("InvalidLoggingConfiguration", "Invalid Logging Configuration: Log Destination must be a CloudWatch Logs log group ARN.")
		}
	}
	return nil
}

func readTracing(in *fields) *tracingConfig {
	f := in.object("tracingConfiguration", false)
	if f == nil {
		return nil
	}
	tc := &tracingConfig{}
	tc.Enabled, _ = f.boolean("enabled")
	return tc
}

// readEncryption reads encryptionConfiguration and returns its type, ""
// when absent.
func readEncryption(in *fields) string {
	f := in.object("encryptionConfiguration", false)
	if f == nil {
		return ""
	}
	typ, _ := f.enum("type", true, "AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY")
	f.str("kmsKeyId", kmsKeyStr)
	f.integer("kmsDataKeyReusePeriodSeconds", 60, 900)
	return typ
}

// checkEncryption refuses customer managed keys: Statecraft has no KMS to
// call, and accepting the key without encrypting would be a lie about
// where data is protected.
func checkEncryption(typ string) *apiError {
	if typ == "CUSTOMER_MANAGED_KMS_KEY" {
		return serviceError("InvalidEncryptionConfiguration", "Statecraft does not support customer managed KMS keys; use AWS_OWNED_KEY or omit encryptionConfiguration")
	}
	return nil
}

// checkRoleArn accepts any well-formed ARN: nothing assumes the role, but
// a value that is not an ARN at all is rejected as AWS rejects it.
func checkRoleArn(role string) *apiError {
	parts := strings.SplitN(role, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return invalidArnPrefix(role)
	}
	return nil
}

// invalidDefinition reports every problem, each with its pointer, joined
// as AWS joins its diagnostics.
func invalidDefinition(problems []asl.Problem) *apiError {
	parts := make([]string, len(problems))
	for i, p := range problems {
		ptr := p.Pointer
		if ptr == "" {
			ptr = "/"
		}
		parts[i] = p.Code + ": " + p.Message + " at " + ptr
	}
	return serviceError("InvalidDefinition", "Invalid State Machine Definition: '%s'", strings.Join(parts, ", "))
}

// validateDefinition is asl.Validate behind the strict JSON check that
// parseJSON explains; express adds AWS's rules of EXPRESS machines, and
// sdk is the aws-sdk integrations the server runs (nil: none).
func validateDefinition(def string, express bool, sdk *asl.AWSSDK) []asl.Problem {
	if _, err := parseJSON(def); err != nil && strings.TrimSpace(def) != "" {
		return []asl.Problem{{Code: asl.CodeInvalidJSON, Message: "The definition is not valid JSON (" + err.Error() + "); expected a JSON object with 'StartAt' and 'States'"}}
	}
	if problems := asl.Validate([]byte(def), asl.ValidateOptions{Express: express, Runnable: true, AWSSDK: sdk}); len(problems) > 0 {
		return problems
	}
	// What passes validation must also build: ValidateStateMachineDefinition
	// and CreateStateMachine refuse the same definitions.
	if _, err := asl.Parse([]byte(def)); err != nil {
		return []asl.Problem{{Code: asl.CodeSchema, Message: err.Error()}}
	}
	return nil
}

// expressRules tells whether a machine of type typ is held to AWS's rules
// of EXPRESS machines (no activities, .sync or .waitForTaskToken): an
// EXPRESS machine is, unless the server runs with Options.ExpressAllTasks.
func (s *server) expressRules(typ string) bool {
	return typ == typeExpress && !s.opts.ExpressAllTasks
}

// checkDefinition validates a definition, as validateDefinition does.
func checkDefinition(def string, express bool, sdk *asl.AWSSDK) *apiError {
	if problems := validateDefinition(def, express, sdk); len(problems) > 0 {
		return invalidDefinition(problems)
	}
	return nil
}

func tooManyTags(arn string, n int) *apiError {
	e := serviceError(errTooManyTags, "Too many tags: %d; a resource can have at most %d", n, maxTags)
	e.resourceName = arn
	return e
}

func (s *server) stamp() time.Time { return s.now().Truncate(time.Millisecond) }

type createStateMachineOutput struct {
	StateMachineArn        string `json:"stateMachineArn"`
	CreationDate           epoch  `json:"creationDate"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

func (s *server) createStateMachine(c *call) (any, error) {
	in := c.in
	name, _ := in.str("name", nameStr.req())
	def, _ := in.str("definition", definitionStr.req())
	role, _ := in.str("roleArn", arnStr.req())
	typ, typeGiven := in.enum("type", false, typeStandard, typeExpress)
	logging := readLogging(in)
	tracing := readTracing(in)
	tags, _ := in.tags("tags", false)
	publish, _ := in.boolean("publish")
	versionDesc, _ := in.str("versionDescription", versionDescStr)
	enc := readEncryption(in)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if !typeGiven {
		typ = typeStandard
	}
	if !validName(name) {
		return nil, invalidName(name)
	}
	if err := checkRoleArn(role); err != nil {
		return nil, err
	}
	if !publish && in.present("versionDescription") {
		return nil, validationError("Version description can only be set when publish is true")
	}
	if err := checkEncryption(enc); err != nil {
		return nil, err
	}
	if err := logging.check(); err != nil {
		return nil, err
	}
	arn := c.stateMachineArn(name)
	if len(tags) > maxTags {
		return nil, tooManyTags(arn, len(tags))
	}
	if err := checkDefinition(def, s.expressRules(typ), s.opts.AWSSDK); err != nil {
		return nil, err
	}
	now := s.stamp()
	sm := &store.StateMachine{
		Arn: arn, Name: name, Type: typ, Definition: def, RoleArn: role, Status: "ACTIVE",
		RevisionID: newUUID(), Logging: loggingText(logging), Tracing: tracingText(tracing),
		CreatedAt: now, UpdatedAt: now,
	}
	err := s.st.CreateStateMachine(c.ctx, sm)
	if errors.Is(err, store.ErrAlreadyExists) {
		// AWS's idempotency: the same configuration answers with the
		// existing machine (its role and tags unchanged).
		prev, gerr := s.st.GetStateMachine(c.ctx, arn)
		if gerr != nil {
			if isNotFound(gerr) {
				return nil, smDeleting(arn) // deleted between the two calls
			}
			return nil, gerr
		}
		if prev.Status == "DELETING" {
			return nil, smDeleting(arn)
		}
		if prev.Definition != def || prev.Type != typ || !sameLogging(prev.Logging, sm.Logging) || !sameTracing(prev.Tracing, sm.Tracing) {
			return nil, serviceError("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
		}
		out := &createStateMachineOutput{StateMachineArn: arn, CreationDate: epoch(prev.CreatedAt)}
		if publish {
			// Publishing is idempotent per revision: the repeated request
			// gets the version the first one published.
			v, err := s.publishVersion(c.ctx, prev, versionDesc)
			if err != nil {
				return nil, err
			}
			out.StateMachineVersionArn = v.Arn
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		if err := s.st.TagResource(c.ctx, store.TagResourceParams{Arn: arn, Tags: tagMap(tags)}); err != nil {
			return nil, err
		}
	}
	out := &createStateMachineOutput{StateMachineArn: arn, CreationDate: epoch(now)}
	if publish {
		v, err := s.publishVersion(context.WithoutCancel(c.ctx), sm, versionDesc)
		if err != nil {
			return nil, err
		}
		out.StateMachineVersionArn = v.Arn
	}
	return out, nil
}

// lookupStateMachine resolves the ARN of a state machine itself: a
// version, alias or Map label ARN names no machine here (operations that
// accept version or alias ARNs resolve them first: lookupVersion,
// lookupAlias, resolveStart). DescribeStateMachine takes a version ARN,
// which AWS documents, and not an alias's, which it does not.
func (s *server) lookupStateMachine(c *call, a smArn) (*store.StateMachine, error) {
	if err := c.ownsOr(a.stepArn, smDoesNotExist(a.text)); err != nil {
		return nil, err
	}
	if a.qualifier != "" || a.label != "" {
		return nil, smDoesNotExist(a.text)
	}
	sm, err := s.st.GetStateMachine(c.ctx, a.text)
	if isNotFound(err) {
		return nil, smDoesNotExist(a.text)
	}
	return sm, err
}

type describeStateMachineOutput struct {
	StateMachineArn      string         `json:"stateMachineArn"`
	Name                 string         `json:"name"`
	Status               string         `json:"status"`
	Definition           string         `json:"definition"`
	RoleArn              string         `json:"roleArn"`
	Type                 string         `json:"type"`
	CreationDate         epoch          `json:"creationDate"`
	LoggingConfiguration *loggingConfig `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfig `json:"tracingConfiguration"`
	RevisionID           string         `json:"revisionId,omitempty"`
	Description          string         `json:"description,omitempty"`
}

// includedData is only about KMS-encrypted data, which Statecraft never
// has, so it is validated and otherwise changes nothing.
func readIncludedData(in *fields) {
	in.enum("includedData", false, "ALL_DATA", "METADATA_ONLY")
}

func (s *server) describeStateMachine(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineArn", arnStr.req())
	readIncludedData(in)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseStateMachineArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if a.label == "" && isVersionQualifier(a.qualifier) {
		// A version answers with its own definition, role, revision,
		// description and date; the rest is its machine's.
		sm, v, err := s.lookupVersion(c, a)
		if err != nil {
			return nil, err
		}
		return &describeStateMachineOutput{
			StateMachineArn: v.Arn, Name: sm.Name, Status: sm.Status, Definition: v.Definition,
			RoleArn: v.RoleArn, Type: sm.Type, CreationDate: epoch(v.CreatedAt),
			LoggingConfiguration: loggingOf(sm.Logging), TracingConfiguration: tracingOf(sm.Tracing),
			RevisionID: v.RevisionID, Description: v.Description,
		}, nil
	}
	sm, err := s.lookupStateMachine(c, a)
	if err != nil {
		return nil, err
	}
	return &describeStateMachineOutput{
		StateMachineArn: sm.Arn, Name: sm.Name, Status: sm.Status, Definition: sm.Definition,
		RoleArn: sm.RoleArn, Type: sm.Type, CreationDate: epoch(sm.CreatedAt),
		LoggingConfiguration: loggingOf(sm.Logging), TracingConfiguration: tracingOf(sm.Tracing),
		RevisionID: sm.RevisionID, Description: sm.Description,
	}, nil
}

type updateStateMachineOutput struct {
	UpdateDate             epoch  `json:"updateDate"`
	RevisionID             string `json:"revisionId,omitempty"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

func (s *server) updateStateMachine(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineArn", arnStr.req())
	def, defGiven := in.str("definition", definitionStr)
	role, roleGiven := in.str("roleArn", arnStr)
	logging := readLogging(in)
	tracing := readTracing(in)
	publish, _ := in.boolean("publish")
	versionDesc, _ := in.str("versionDescription", versionDescStr)
	enc := readEncryption(in)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseUnlabelledArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if !defGiven && !roleGiven && logging == nil && tracing == nil && enc == "" {
		return nil, serviceError("MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified")
	}
	if !publish && in.present("versionDescription") {
		return nil, validationError("Version description can only be set when publish is true")
	}
	if err := checkEncryption(enc); err != nil {
		return nil, err
	}
	if roleGiven {
		if err := checkRoleArn(role); err != nil {
			return nil, err
		}
	}
	if err := logging.check(); err != nil {
		return nil, err
	}
	sm, err := s.lookupStateMachine(c, a)
	if err != nil {
		return nil, err
	}
	if sm.Status == "DELETING" {
		return nil, smDeleting(sm.Arn)
	}
	if defGiven {
		if err := checkDefinition(def, s.expressRules(sm.Type), s.opts.AWSSDK); err != nil {
			return nil, err
		}
		sm.Definition = def
	}
	if roleGiven {
		sm.RoleArn = role
	}
	if logging != nil {
		sm.Logging = loggingText(logging)
	}
	if tracing != nil {
		sm.Tracing = tracingText(tracing)
	}
	// Running executions keep the definition they started with: each
	// carries its own copy.
	sm.RevisionID = newUUID()
	sm.UpdatedAt = s.stamp()
	if err := s.st.UpdateStateMachine(c.ctx, sm); err != nil {
		if isNotFound(err) {
			return nil, smDoesNotExist(sm.Arn)
		}
		return nil, err
	}
	out := &updateStateMachineOutput{UpdateDate: epoch(sm.UpdatedAt), RevisionID: sm.RevisionID}
	if publish {
		// The update is in; a concurrent update between it and the publish
		// is a ConflictException, as on AWS.
		v, err := s.publishVersion(context.WithoutCancel(c.ctx), sm, versionDesc)
		if err != nil {
			return nil, err
		}
		out.StateMachineVersionArn = v.Arn
	}
	return out, nil
}

func (s *server) deleteStateMachine(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineArn", arnStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseUnlabelledArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if mine, err := c.owns(a.stepArn); !mine {
		if err != nil {
			return nil, err
		}
		return nil, nil // not here: deleting is idempotent
	}
	if a.qualifier != "" {
		// Versions are deleted with DeleteStateMachineVersion; a qualified
		// ARN names no machine to delete.
		return nil, nil
	}
	// Finish the deletion even if the client goes away half-way.
	ctx := context.WithoutCancel(c.ctx)
	sm, err := s.st.GetStateMachine(ctx, a.text)
	if isNotFound(err) {
		return nil, nil // deleting is idempotent
	}
	if err != nil {
		return nil, err
	}
	// DELETING first, so that no execution starts while running ones are
	// being stopped; AWS stops them too.
	if sm.Status != "DELETING" {
		sm.Status = "DELETING"
		if err := s.st.UpdateStateMachine(ctx, sm); err != nil && !isNotFound(err) {
			return nil, err
		}
	}
	if err := s.stopAll(ctx, sm.Arn); err != nil {
		return nil, err
	}
	if err := s.st.DeleteStateMachine(ctx, sm.Arn); err != nil && !isNotFound(err) {
		return nil, err
	}
	return nil, nil
}

// stopAll aborts the running executions of a machine being deleted.
func (s *server) stopAll(ctx context.Context, smArn string) error {
	token := ""
	for {
		execs, next, err := s.st.ListExecutions(ctx, store.ListExecutionsParams{StateMachineArn: smArn, Status: "RUNNING", Limit: maxPageSize, Token: token})
		if err != nil {
			return err
		}
		for _, e := range execs {
			_, err := s.eng.StopExecution(ctx, e.Arn, "", "The state machine was deleted.")
			if err != nil && !errors.Is(err, engine.ErrExecutionDoesNotExist) {
				return err
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

type stateMachineListItem struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    epoch  `json:"creationDate"`
}

type listStateMachinesOutput struct {
	StateMachines []stateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

func (s *server) listStateMachines(c *call) (any, error) {
	const op = "ListStateMachines"
	page, err := s.pageParams(c, op)
	if err != nil {
		return nil, err
	}
	page.ArnPrefix = c.arnPrefix()
	sms, next, err := s.st.ListStateMachines(c.ctx, page)
	if err != nil {
		return nil, s.cursorError(err, page.Token)
	}
	out := &listStateMachinesOutput{StateMachines: []stateMachineListItem{}}
	for _, sm := range sms {
		out.StateMachines = append(out.StateMachines, stateMachineListItem{StateMachineArn: sm.Arn, Name: sm.Name, Type: sm.Type, CreationDate: epoch(sm.CreatedAt)})
	}
	if next != "" {
		out.NextToken = s.encodeToken(pageToken{Op: op, Cursor: next})
	}
	return out, nil
}

// cursorError maps a listing's failure: a cursor the store refuses (the
// wrapper is not signed, so a client can forge one) is InvalidToken; any
// other failure is the server's.
func (s *server) cursorError(err error, cursor string) error {
	if cursor != "" && errors.Is(err, store.ErrInvalidToken) {
		return invalidPageToken("Invalid token")
	}
	return err
}

type describeStateMachineForExecutionOutput struct {
	StateMachineArn      string         `json:"stateMachineArn"`
	Name                 string         `json:"name"`
	Definition           string         `json:"definition"`
	RoleArn              string         `json:"roleArn"`
	UpdateDate           epoch          `json:"updateDate"`
	LoggingConfiguration *loggingConfig `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfig `json:"tracingConfiguration"`
	RevisionID           string         `json:"revisionId,omitempty"`
	MapRunArn            string         `json:"mapRunArn,omitempty"`
	Label                string         `json:"label,omitempty"`
}

func (s *server) describeStateMachineForExecution(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("executionArn", arnStr.req())
	readIncludedData(in)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	rec, err := s.lookupExecution(c, arnText)
	if aerr, ok := err.(*apiError); ok && aerr.name == errExecDoesNotExist && c.ownExecution(arnText) == nil {
		if out, found, err := s.mapRunChildMachine(c, arnText); found || err != nil {
			return out, err
		}
	}
	if err != nil {
		return nil, err
	}
	out := &describeStateMachineForExecutionOutput{
		StateMachineArn: rec.StateMachineArn,
		Name:            rec.StateMachineArn[strings.LastIndex(rec.StateMachineArn, ":")+1:],
		Definition:      rec.Definition,
		RoleArn:         rec.RoleArn,
		// The machine may have changed or gone since; the execution's start
		// is then the latest time its definition is known to have been
		// current.
		UpdateDate:           epoch(rec.StartedAt),
		LoggingConfiguration: loggingOf(""),
		TracingConfiguration: tracingOf(""),
	}
	sm, err := s.st.GetStateMachine(c.ctx, rec.StateMachineArn)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if rec.StateMachineVersionArn != "" {
		// It ran a version: the version's revision and date, while the
		// version is there to say them.
		v, verr := s.st.GetStateMachineVersion(c.ctx, rec.StateMachineVersionArn)
		if verr != nil && !isNotFound(verr) {
			return nil, verr
		}
		if verr == nil && v.Definition == rec.Definition && v.RoleArn == rec.RoleArn {
			out.UpdateDate = epoch(v.CreatedAt)
			out.RevisionID = v.RevisionID
			if err == nil {
				out.LoggingConfiguration = loggingOf(sm.Logging)
				out.TracingConfiguration = tracingOf(sm.Tracing)
			}
		}
		return out, nil
	}
	if err == nil && sm.Definition == rec.Definition && sm.RoleArn == rec.RoleArn && !sm.UpdatedAt.After(rec.StartedAt) {
		out.UpdateDate = epoch(sm.UpdatedAt)
		out.RevisionID = sm.RevisionID
		out.LoggingConfiguration = loggingOf(sm.Logging)
		out.TracingConfiguration = tracingOf(sm.Tracing)
	}
	return out, nil
}

type diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

type validateOutput struct {
	Result      string       `json:"result"`
	Diagnostics []diagnostic `json:"diagnostics"`
	Truncated   bool         `json:"truncated"`
}

func (s *server) validateStateMachineDefinition(c *call) (any, error) {
	in := c.in
	def, _ := in.str("definition", definitionStr.req())
	typ, _ := in.enum("type", false, typeStandard, typeExpress)
	// Every problem Statecraft finds is an ERROR, so WARNING (errors and
	// warnings) lists the same.
	in.enum("severity", false, "ERROR", "WARNING")
	n, nGiven := in.integer("maxResults", 0, 100)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	limit := 100
	if nGiven && n > 0 {
		limit = int(n)
	}
	problems := validateDefinition(def, s.expressRules(typ), s.opts.AWSSDK)
	out := &validateOutput{Result: "OK", Diagnostics: []diagnostic{}}
	if len(problems) > 0 {
		out.Result = "FAIL"
	}
	if len(problems) > limit {
		problems, out.Truncated = problems[:limit], true
	}
	for _, p := range problems {
		out.Diagnostics = append(out.Diagnostics, diagnostic{Severity: "ERROR", Code: p.Code, Message: p.Message, Location: p.Pointer})
	}
	return out, nil
}

func tagMap(tags []tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
