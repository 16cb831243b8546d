package cloudformation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/sigv4"
	"github.com/statecraft/statecraft/store"
)

// SigningName is the service name in CloudFormation's SigV4 scopes.
const SigningName = "cloudformation"

// Version is the API version every request names.
const Version = "2010-05-15"

// MaxBody bounds a request: a template body may have 51,200 bytes, URL
// encoded in the form, plus the rest of the parameters.
const MaxBody = 1 << 20

const xmlns = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// Options configures the service.
type Options struct {
	// API is the Step Functions API handler (api.New).
	API http.Handler
	// Deploy is the deploy door's handler (deploy.Handler): functions are
	// deployed through it.
	Deploy http.Handler
	// Functions is the host functions run on (deleting a function
	// unregisters it); nil refuses nothing but deletes no function.
	Functions *functions.Host
	Region    string
	Account   string
	// Store keeps the stacks (required).
	Store store.Store
	// NodeID names this node among those sharing Store ("" for a store
	// of one node): on start, the node ends as failed the operations it
	// ran that a restart interrupted, and only those.
	NodeID string
	// File is where the stacks were kept before they were kept in the
	// store: when it exists, its stacks are imported into Store once and
	// it is renamed to File + ".imported".
	File string
	Log  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the CloudFormation API.
type Service struct {
	opts Options
	st   *stacks
	log  *slog.Logger
	// ops counts operations running in the background (tests wait on it).
	ops chan struct{}
}

// IsQuery tells whether r is a request of the query protocol, which the
// server routes here: a form POST without the X-Amz-Target of the JSON
// protocols.
func IsQuery(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// New opens the stacks kept in opts.Store, after importing those of
// opts.File. Operations of this node that a restart interrupted are
// ended as failed.
func New(opts Options) (*Service, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st, err := openStacks(context.Background(), opts.Store, opts.File)
	if err != nil {
		return nil, err
	}
	s := &Service{opts: opts, st: st, log: opts.Log}
	s.recover()
	s.redeployFunctions()
	return s, nil
}

// redeployFunctions registers again the functions of the stacks: the
// functions host forgets what was deployed over HTTP when the server
// stops, and a stack must keep what it lists. They are deployed as an
// admin of the stack's account, with the properties they were made with.
func (s *Service) redeployFunctions() {
	if s.opts.Deploy == nil {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, st := range s.st.all {
		if st.Status == "DELETE_COMPLETE" {
			continue
		}
		p := &auth.Principal{AccessKeyID: "cloudformation", Account: st.Account, Role: auth.RoleAdmin, Region: st.Region, Via: "internal"}
		prov := &provisioner{opts: s.opts, principal: p, stackName: st.StackName}
		for _, r := range sortedResources(st) {
			if r.Type != "AWS::Lambda::Function" || r.PhysicalID == "" || r.Properties == nil {
				continue
			}
			if _, err := prov.deployFunction(r.PhysicalID, r.Properties); err != nil {
				s.log.Error("cloudformation: deploying a stack's function again", "stack", st.StackName, "function", r.PhysicalID, "err", err)
			}
		}
	}
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// apiErr is an error answer.
type apiErr struct {
	status  int
	code    string
	message string
}

func (e *apiErr) Error() string { return e.code + ": " + e.message }

func validation(format string, a ...any) *apiErr {
	return &apiErr{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, a...)}
}

func notExist(name string) *apiErr { return validation("Stack with id %s does not exist", name) }

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeError(w http.ResponseWriter, e *apiErr) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	id := newUUID()
	w.Header().Set("x-amzn-RequestId", id)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	b, _ := xml.Marshal(errorResponse{Xmlns: xmlns, Type: typ, Code: e.code, Message: e.message, RequestID: id})
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

// queryAuthNames are the query protocol's names of the authentication
// errors.
var queryAuthNames = map[string]string{
	sigv4.MissingAuthenticationToken: "MissingAuthenticationToken",
	sigv4.IncompleteSignature:        "IncompleteSignature",
	sigv4.InvalidSignature:           "SignatureDoesNotMatch",
	sigv4.UnrecognizedClient:         "InvalidClientTokenId",
	sigv4.ExpiredToken:               "ExpiredToken",
}

// AuthError answers a request that failed authentication as the query
// protocol does: 403 and the error's query name.
func AuthError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, auth.ErrBodyTooLarge) {
		writeError(w, &apiErr{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Request body must be at most %d bytes", MaxBody)})
		return
	}
	e, ok := err.(*sigv4.Error)
	if !ok {
		writeError(w, &apiErr{http.StatusInternalServerError, "InternalFailure", "internal error"})
		return
	}
	code := queryAuthNames[e.Name]
	if code == "" {
		code = e.Name
	}
	writeError(w, &apiErr{e.Status(sigv4.RESTJSON), code, e.MessageFor(sigv4.RESTJSON)})
}

type request struct {
	p    *auth.Principal
	form url.Values
}

func (q *request) get(k string) string { return q.form.Get(k) }

// list reads Name.member.N values.
func (q *request) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		k := name + ".member." + strconv.Itoa(i)
		if _, ok := q.form[k]; !ok {
			return out
		}
		out = append(out, q.form.Get(k))
	}
}

// structs reads Name.member.N.Field values.
func (q *request) structs(name string) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		prefix := name + ".member." + strconv.Itoa(i) + "."
		m := map[string]string{}
		for k, v := range q.form {
			if f, ok := strings.CutPrefix(k, prefix); ok && len(v) > 0 {
				m[f] = v[0]
			}
		}
		if len(m) == 0 {
			return out
		}
		out = append(out, m)
	}
}

var readOnly = map[string]bool{
	"ValidateTemplate": true, "DescribeStacks": true, "DescribeStackEvents": true, "DescribeStackResource": true,
	"DescribeStackResources": true, "ListStackResources": true, "ListStacks": true, "GetTemplate": true,
	"DescribeChangeSet": true, "ListChangeSets": true, "GetTemplateSummary": true,
}

type handlerFunc func(*Service, *request) (any, error)

var ops = map[string]handlerFunc{
	"ValidateTemplate":       (*Service).validateTemplate,
	"CreateStack":            (*Service).createStack,
	"UpdateStack":            (*Service).updateStack,
	"DeleteStack":            (*Service).deleteStack,
	"DescribeStacks":         (*Service).describeStacks,
	"DescribeStackEvents":    (*Service).describeStackEvents,
	"DescribeStackResource":  (*Service).describeStackResource,
	"DescribeStackResources": (*Service).describeStackResources,
	"ListStackResources":     (*Service).listStackResources,
	"ListStacks":             (*Service).listStacks,
	"GetTemplate":            (*Service).getTemplate,
	"GetTemplateSummary":     (*Service).getTemplateSummary,
	"CreateChangeSet":        (*Service).createChangeSet,
	"DescribeChangeSet":      (*Service).describeChangeSet,
	"ExecuteChangeSet":       (*Service).executeChangeSet,
	"DeleteChangeSet":        (*Service).deleteChangeSet,
	"ListChangeSets":         (*Service).listChangeSets,
}

// ServeHTTP serves one query-protocol request; the server's
// authentication middleware has put its principal in the context.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, action, err := s.serve(r)
	if err != nil {
		var ae *apiErr
		if !errors.As(err, &ae) {
			s.log.Error("cloudformation: internal failure", "action", action, "err", err)
			ae = &apiErr{http.StatusInternalServerError, "InternalFailure", "An internal error occurred"}
		}
		writeError(w, ae)
		return
	}
	id := newUUID()
	w.Header().Set("x-amzn-RequestId", id)
	w.Header().Set("Content-Type", "text/xml")
	body, err := xml.Marshal(out)
	if err != nil {
		s.log.Error("cloudformation: encoding the answer", "action", action, "err", err)
		writeError(w, &apiErr{http.StatusInternalServerError, "InternalFailure", "An internal error occurred"})
		return
	}
	// <XResponse xmlns><XResult>...</XResult><ResponseMetadata>.
	var b strings.Builder
	b.WriteString(`<` + action + `Response xmlns="` + xmlns + `">`)
	b.Write(body)
	b.WriteString(`<ResponseMetadata><RequestId>` + id + `</RequestId></ResponseMetadata></` + action + `Response>`)
	_, _ = w.Write([]byte(b.String()))
}

func (s *Service) serve(r *http.Request) (any, string, error) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return nil, "", &apiErr{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	}
	// A page in a browser can POST a form to any origin without a CORS
	// preflight: what a browser marks as cross-site is refused.
	if o := r.Header.Values("Origin"); len(o) > 0 {
		return nil, "", &apiErr{http.StatusForbidden, "AccessDenied", fmt.Sprintf("CloudFormation requests from a browser are refused (Origin: %s)", strings.Join(o, ", "))}
	}
	if f := r.Header.Values("Sec-Fetch-Site"); len(f) > 1 || len(f) == 1 && f[0] != "none" && f[0] != "same-origin" {
		return nil, "", &apiErr{http.StatusForbidden, "AccessDenied", fmt.Sprintf("CloudFormation requests from a browser are refused (Sec-Fetch-Site: %s)", strings.Join(f, ", "))}
	}
	if r.Method != http.MethodPost {
		return nil, "", &apiErr{http.StatusMethodNotAllowed, "InvalidAction", "CloudFormation requests are POSTs of a form"}
	}
	if err := r.ParseForm(); err != nil {
		return nil, "", &apiErr{http.StatusBadRequest, "MalformedQueryString", err.Error()}
	}
	form := r.PostForm
	action := form.Get("Action")
	if v := form.Get("Version"); v != Version {
		return nil, action, &apiErr{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, v)}
	}
	h, ok := ops[action]
	if !ok {
		return nil, action, &apiErr{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, Version)}
	}
	if err := knownParameters(form); err != nil {
		return nil, action, err
	}
	iam := "cloudformation:" + action
	if !p.Role.Allows(iam) {
		return nil, action, &apiErr{http.StatusForbidden, "AccessDenied", p.DeniedMessage(iam, "") + " (deploying stacks needs the admin role; this key's is " + string(p.Role) + ")"}
	}
	as := *p
	if as.Region == "" {
		as.Region = s.opts.Region
	}
	// Other nodes sharing the store may have changed the stacks.
	s.st.mu.Lock()
	err := s.st.refreshLocked(r.Context(), as.Account, as.Region)
	s.st.mu.Unlock()
	if err != nil {
		return nil, action, err
	}
	out, err := h(s, &request{p: &as, form: form})
	return out, action, err
}

// ReadOnlyActions are the actions that only read: auth grants them to the
// reader roles.
func ReadOnlyActions() []string {
	var out []string
	for a := range readOnly {
		out = append(out, "cloudformation:"+a)
	}
	sort.Strings(out)
	return out
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var stackNameRE = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func required(name, field string) *apiErr {
	return validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// parameters are the request parameters the operations read, by their
// first name part (Parameters.member.1.ParameterKey is Parameters), and
// those they refuse with a message of their own. Any other is refused
// here by name: a parameter the service does not act on (a rollback
// trigger, termination protection, a timeout) must not be accepted and
// dropped.
var parameters = map[string]bool{
	"Action": true, "Version": true,
	"Capabilities": true, "ChangeSetName": true, "ChangeSetType": true, "Description": true, "DisableRollback": true,
	"LogicalResourceId": true, "NextToken": true, "OnFailure": true, "Parameters": true, "PhysicalResourceId": true,
	"StackName": true, "StackStatusFilter": true, "Tags": true, "TemplateBody": true, "UsePreviousTemplate": true,
	// Refused by the operations, each with its own message.
	"TemplateURL": true, "RetainResources": true, "NotificationARNs": true, "StackPolicyBody": true, "StackPolicyURL": true,
	"RoleARN": true, "ResourceTypes": true, "RollbackConfiguration": true,
}

// knownParameters refuses a request naming a parameter Statecraft does not
// implement.
func knownParameters(form url.Values) error {
	var unknown []string
	for k := range form {
		name, _, _ := strings.Cut(k, ".")
		if !parameters[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	unknown = slices.Compact(unknown)
	verb := " are"
	if len(unknown) == 1 {
		verb = " is"
	}
	return validation("%s not supported by Statecraft", strings.Join(unknown, ", ")+verb)
}
