package project

import (
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statecraft/statecraft/arn"
)

// Activity is a Step Functions activity the project creates.
type Activity struct {
	Name string
	ARN  string // arn:aws:states:REGION:ACCOUNT:activity:NAME
	Line int
}

// Tenant is a customer of the workflow API: its API keys, its workflows
// (workflow name -> state machine name in this project, or a state
// machine ARN) and its phone numbers (number -> workflow name), which
// inbound calls to the number start.
type Tenant struct {
	Name string
	// Account owns the tenant's workflows and executions; "" is the
	// server's account, where the project's state machines are.
	Account   string
	APIKeys   []string
	Workflows map[string]string
	Numbers   map[string]string
	// IVR: the calls its executions place go through Trunk (a trunk of
	// mediaService.trunks; "" the mediaService.sip one) from CallerID, and
	// their prompts are spoken in Voice (an espeak-ng voice, checked
	// when the media service starts), unless a command says otherwise.
	Trunk    string
	CallerID string
	Voice    string
	IVRLine  int
	Line     int
}

// WorkflowAPI configures the workflow API.
type WorkflowAPI struct {
	// AdminKeys may use the admin endpoints (tenants, workflows, numbers)
	// and the inbound routing endpoints a separate media service uses.
	AdminKeys []string
}

// MediaService is the IVR media service `statecraft server` runs inside
// itself (the same settings as `statecraft media-service`'s flags).
type MediaService struct {
	Activity    string // as written: an activity of this project, or an ARN
	ActivityArn string
	WorkerName  string
	Pollers     int
	CallerID    string
	Voice       string
	PromptDir   string // absolute when given

	SIPTransport    string // udp (default) or tcp
	SIPBindHost     string
	SIPBindPort     int
	SIPExternalHost string
	SIPProxy        string
	SIPUser         string
	SIPPassword     string
	SIPFromHost     string
	// SIPRegistrar, when set, is where the sip section's trunk registers
	// (REGISTER with digest auth, refreshed, removed on shutdown).
	SIPRegistrar       string
	SIPRegisterExpires int // seconds; 0 is the default (3600)
	// SIPPasswordEnv names the environment variable holding the
	// password, read when the media service starts.
	SIPPasswordEnv string
	RTPPortStart   int
	RTPPortEnd     int

	HandoffListen string
	HandoffAddr   string
	HandoffSecret string

	// Trunks are further SIP trunks, by name, that tenants choose.
	Trunks []SIPTrunk

	Line int
}

// SIPTrunk is a named SIP trunk or PBX of the media service.
type SIPTrunk struct {
	Name      string
	Proxy     string // where numbers are sent
	Registrar string // "" does not register
	User      string
	// PasswordEnv names the environment variable holding the digest
	// password: the project file holds no secret.
	PasswordEnv string
	FromHost    string
	Expires     int // registration lifetime in seconds; 0 is 3600
	Line        int
}

var (
	accountRE        = regexp.MustCompile(`^[0-9]{12}$`)
	activityName     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	tenantNameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	workflowNameRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,80}$`)
	phoneNumberRE    = regexp.MustCompile(`^\+?[0-9A-Za-z*#][0-9A-Za-z*#_. ()-]{0,63}$`)
	tenantKeys       = []string{"account", "apiKeys", "workflows", "numbers", "ivr"}
	tenantIVRKeys    = []string{"trunk", "callerId", "voice"}
	trunkKeys        = []string{"proxy", "registrar", "user", "passwordEnv", "fromHost", "expires"}
	trunkNameRE      = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	voiceRE          = regexp.MustCompile(`^[A-Za-z0-9_()][A-Za-z0-9_()/+. -]{0,63}$`)
	workflowAPIKeys  = []string{"adminKeys"}
	mediaServiceKeys = []string{"activity", "workerName", "pollers", "callerId", "voice", "promptDir", "sip", "handoff", "trunks"}
	sipKeys          = []string{"transport", "bind", "externalHost", "proxy", "user", "password", "passwordEnv", "fromHost", "rtpPorts", "registrar", "registerExpires"}
	handoffKeys      = []string{"listen", "addr", "secret"}
)

func (l *loader) activity(e entry, field string) Activity {
	a := Activity{Name: e.key.Value, ARN: arn.Activity(l.opts.Region, l.opts.Account, e.key.Value), Line: e.key.Line}
	// An activity has no settings: null or {}.
	l.object(e.val, field, nil)
	return a
}

// strList reads a sequence of non-empty strings.
func (l *loader) strList(e entry, field string) []string {
	v := resolve(e.val)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		l.add(v.Line, field, "must be a list of strings")
		return nil
	}
	var out []string
	for i, it := range v.Content {
		f := field + "[" + strconv.Itoa(i) + "]"
		s, ok := l.text(entry{e.key, it}, f)
		if !ok {
			continue
		}
		if s == "" {
			l.add(it.Line, f, "must not be empty")
			continue
		}
		out = append(out, s)
	}
	return out
}

func (l *loader) tenants(e entry, p *Project) []Tenant {
	var out []Tenant
	numberOwner := map[string]string{}
	keyOwner := map[string]string{}
	for _, te := range l.entries(e.val, secTenants) {
		name := te.key.Value
		field := join(secTenants, name)
		t := Tenant{Name: name, Workflows: map[string]string{}, Numbers: map[string]string{}, Line: te.key.Line}
		if !tenantNameRE.MatchString(name) {
			l.add(te.key.Line, field, "invalid tenant name: use 1 to 32 letters, digits, hyphens or underscores")
		}
		o, ok := l.object(te.val, field, tenantKeys)
		if !ok {
			continue
		}
		if v, has := o["account"]; has {
			t.Account, _ = l.str(v, field+".account")
			if !accountRE.MatchString(t.Account) {
				l.add(v.key.Line, field+".account", "an account id is 12 digits (quote it: \"111122223333\")")
			}
		}
		// Named workflows are the project's state machines, which are the
		// server's account's; a tenant of another account names its own.
		otherAccount := t.Account != "" && t.Account != l.opts.Account
		if v, has := o["apiKeys"]; has {
			t.APIKeys = l.strList(v, field+".apiKeys")
			for _, k := range t.APIKeys {
				if len(k) < 16 {
					l.add(v.key.Line, field+".apiKeys", "API keys must be at least 16 characters")
				}
				if other, dup := keyOwner[k]; dup && other != name {
					l.add(v.key.Line, field+".apiKeys", "an API key of tenant %s is used again", other)
				}
				keyOwner[k] = name
			}
		}
		if len(t.APIKeys) == 0 {
			l.add(te.key.Line, field+".apiKeys", "required: at least one API key (use ${env:NAME} to keep it out of the file)")
		}
		if v, has := o["workflows"]; has {
			wfs, _ := l.stringMap(v, field+".workflows", func(k string) string {
				if !workflowNameRE.MatchString(k) {
					return "invalid workflow name: use 1 to 80 letters, digits, dots, hyphens or underscores"
				}
				return ""
			}, func(sm string) string {
				if strings.HasPrefix(sm, "arn:") {
					if a, err := arn.ParseStates(sm); err != nil || a.Type != "stateMachine" {
						return "must be a state machine of this project or a state machine ARN"
					}
					return ""
				}
				if p.StateMachine(sm) == nil && !otherAccount {
					msg := "no state machine " + strconv.Quote(sm) + " in this project"
					names := make([]string, 0, len(p.StateMachines))
					for _, m := range p.StateMachines {
						names = append(names, m.Name)
					}
					if s := suggest(sm, names); s != "" {
						msg += " (did you mean " + s + "?)"
					}
					return msg
				}
				return ""
			})
			t.Workflows = wfs
		}
		if v, has := o["numbers"]; has {
			nums, _ := l.stringMap(v, field+".numbers", func(k string) string {
				if !phoneNumberRE.MatchString(k) {
					return "invalid phone number: digits, an optional leading +, spaces, dashes or parentheses"
				}
				return ""
			}, func(wf string) string {
				if _, ok := t.Workflows[wf]; !ok {
					return "tenant " + name + " has no workflow " + strconv.Quote(wf)
				}
				return ""
			})
			keys := make([]string, 0, len(nums))
			for n := range nums {
				keys = append(keys, n)
			}
			sort.Strings(keys)
			for _, n := range keys {
				if other, dup := numberOwner[n]; dup && other != name {
					l.add(v.key.Line, field+".numbers", "number %s is already routed by tenant %s", n, other)
				}
				numberOwner[n] = name
			}
			t.Numbers = nums
		}
		if v, has := o["ivr"]; has {
			f := field + ".ivr"
			t.IVRLine = v.key.Line
			if io, ok := l.object(v.val, f, tenantIVRKeys); ok {
				for _, k := range []struct {
					key string
					dst *string
				}{{"trunk", &t.Trunk}, {"callerId", &t.CallerID}, {"voice", &t.Voice}} {
					if iv, has := io[k.key]; has {
						*k.dst, _ = l.text(iv, f+"."+k.key)
					}
				}
				if iv, has := io["voice"]; has && !voiceRE.MatchString(t.Voice) {
					l.add(iv.val.Line, f+".voice", "invalid espeak-ng voice %q (espeak-ng --voices lists them)", t.Voice)
				}
			}
		}
		out = append(out, t)
	}
	return out
}

func (l *loader) workflowAPI(e entry) *WorkflowAPI {
	w := &WorkflowAPI{}
	o, ok := l.object(e.val, secWorkflowAPI, workflowAPIKeys)
	if !ok {
		return w
	}
	if v, has := o["adminKeys"]; has {
		w.AdminKeys = l.strList(v, secWorkflowAPI+".adminKeys")
		for _, k := range w.AdminKeys {
			if len(k) < 16 {
				l.add(v.key.Line, secWorkflowAPI+".adminKeys", "admin keys must be at least 16 characters")
			}
		}
	}
	return w
}

func (l *loader) mediaService(e entry, p *Project) *MediaService {
	m := &MediaService{Line: e.key.Line, Pollers: 2, SIPTransport: "udp", SIPBindHost: "0.0.0.0", SIPBindPort: 5060}
	field := secMediaService
	o, ok := l.object(e.val, field, mediaServiceKeys)
	if !ok {
		return m
	}
	v, has := o["activity"]
	if !has {
		l.add(m.Line, field+".activity", "required: the activity the media service polls (an activity of this project or an ARN)")
	} else if s, good := l.str(v, field+".activity"); good {
		m.Activity = s
		switch {
		case strings.HasPrefix(s, "arn:"):
			if a, err := arn.ParseStates(s); err != nil || a.Type != "activity" {
				l.add(v.val.Line, field+".activity", "must be an activity ARN")
			}
			m.ActivityArn = s
		default:
			found := false
			for _, a := range p.Activities {
				if a.Name == s {
					found = true
				}
			}
			if !found {
				l.add(v.val.Line, field+".activity", "no activity %q in this project's activities", s)
			}
			m.ActivityArn = arn.Activity(l.opts.Region, l.opts.Account, s)
		}
	}
	optStr := func(o map[string]entry, f, key string, dst *string) {
		if v, has := o[key]; has {
			if s, good := l.text(v, f+"."+key); good {
				*dst = s
			}
		}
	}
	optStr(o, field, "workerName", &m.WorkerName)
	optStr(o, field, "callerId", &m.CallerID)
	optStr(o, field, "voice", &m.Voice)
	if v, has := o["promptDir"]; has {
		if s, good := l.str(v, field+".promptDir"); good {
			m.PromptDir = l.abs(s)
		}
	}
	if v, has := o["pollers"]; has {
		if n, good := l.integer(v, field+".pollers", "a whole number"); good {
			if n < 1 || n > 256 {
				l.add(v.val.Line, field+".pollers", "must be between 1 and 256")
			} else {
				m.Pollers = int(n)
			}
		}
	}
	if v, has := o["sip"]; has {
		f := field + ".sip"
		if so, ok := l.object(v.val, f, sipKeys); ok {
			optStr(so, f, "transport", &m.SIPTransport)
			if m.SIPTransport != "udp" && m.SIPTransport != "tcp" {
				l.add(so["transport"].val.Line, f+".transport", "must be udp or tcp")
			}
			if bv, has := so["bind"]; has {
				if s, good := l.text(bv, f+".bind"); good {
					host, port, err := net.SplitHostPort(s)
					n, perr := strconv.Atoi(port)
					if err != nil || perr != nil || n < 0 || n > 65535 {
						l.add(bv.val.Line, f+".bind", "must be HOST:PORT, e.g. 0.0.0.0:5060 (port 0 picks a free one)")
					} else {
						m.SIPBindHost, m.SIPBindPort = host, n
					}
				}
			}
			optStr(so, f, "externalHost", &m.SIPExternalHost)
			optStr(so, f, "proxy", &m.SIPProxy)
			optStr(so, f, "user", &m.SIPUser)
			optStr(so, f, "password", &m.SIPPassword)
			optStr(so, f, "fromHost", &m.SIPFromHost)
			optStr(so, f, "registrar", &m.SIPRegistrar)
			if ev, has := so["passwordEnv"]; has {
				m.SIPPasswordEnv = l.envName(ev, f+".passwordEnv")
				if m.SIPPassword != "" {
					l.add(ev.key.Line, f+".passwordEnv", "give password or passwordEnv, not both")
				}
			}
			if ev, has := so["registerExpires"]; has {
				m.SIPRegisterExpires = l.expires(ev, f+".registerExpires")
			}
			if m.SIPRegistrar != "" && m.SIPUser == "" {
				l.add(so["registrar"].key.Line, f+".user", "required with registrar: the user registered")
			}
			if rv, has := so["rtpPorts"]; has {
				if s, good := l.text(rv, f+".rtpPorts"); good {
					lo, hi, ok := strings.Cut(s, "-")
					a, err1 := strconv.Atoi(strings.TrimSpace(lo))
					b, err2 := strconv.Atoi(strings.TrimSpace(hi))
					if !ok || err1 != nil || err2 != nil || a < 1 || b > 65535 || a >= b {
						l.add(rv.val.Line, f+".rtpPorts", "must be LOW-HIGH, e.g. 10000-20000")
					} else {
						m.RTPPortStart, m.RTPPortEnd = a, b
					}
				}
			}
		}
	}
	if v, has := o["handoff"]; has {
		f := field + ".handoff"
		if ho, ok := l.object(v.val, f, handoffKeys); ok {
			optStr(ho, f, "listen", &m.HandoffListen)
			optStr(ho, f, "addr", &m.HandoffAddr)
			optStr(ho, f, "secret", &m.HandoffSecret)
		}
	}
	if v, has := o["trunks"]; has {
		for _, te := range l.entries(v.val, field+".trunks") {
			name := te.key.Value
			f := join(field+".trunks", name)
			tr := SIPTrunk{Name: name, Line: te.key.Line}
			if !trunkNameRE.MatchString(name) {
				l.add(te.key.Line, f, "invalid trunk name: use 1 to 64 letters, digits, dots, hyphens or underscores")
			}
			to, ok := l.object(te.val, f, trunkKeys)
			if !ok {
				continue
			}
			optStr(to, f, "proxy", &tr.Proxy)
			optStr(to, f, "registrar", &tr.Registrar)
			optStr(to, f, "user", &tr.User)
			optStr(to, f, "fromHost", &tr.FromHost)
			if ev, has := to["passwordEnv"]; has {
				tr.PasswordEnv = l.envName(ev, f+".passwordEnv")
			}
			if ev, has := to["expires"]; has {
				tr.Expires = l.expires(ev, f+".expires")
			}
			if tr.Proxy == "" && tr.Registrar == "" {
				l.add(te.key.Line, f, "a trunk needs a proxy, a registrar or both")
			}
			if tr.Registrar != "" && tr.User == "" {
				l.add(te.key.Line, f+".user", "required with registrar: the user registered")
			}
			m.Trunks = append(m.Trunks, tr)
		}
	}
	return m
}

// envName reads the name of an environment variable.
func (l *loader) envName(e entry, field string) string {
	s, ok := l.str(e, field)
	if ok && !envNameRE.MatchString(s) {
		l.add(e.val.Line, field, "must name an environment variable (letters, digits, underscores), e.g. SIP_PASSWORD")
		return ""
	}
	return s
}

// expires reads a registration lifetime in seconds.
func (l *loader) expires(e entry, field string) int {
	n, ok := l.integer(e, field, "a whole number of seconds")
	if !ok {
		return 0
	}
	if n < 60 || n > 86400 {
		l.add(e.val.Line, field, "must be between 60 and 86400 seconds")
		return 0
	}
	return int(n)
}

// checkTenantTrunks refuses a tenant's trunk the media service lacks.
func (l *loader) checkTenantTrunks(p *Project) {
	for _, t := range p.Tenants {
		if t.Trunk == "" {
			continue
		}
		var names []string
		found := false
		if p.MediaService != nil {
			for _, tr := range p.MediaService.Trunks {
				found = found || tr.Name == t.Trunk
				names = append(names, tr.Name)
			}
		}
		if found {
			continue
		}
		msg := "no trunk " + strconv.Quote(t.Trunk) + " in mediaService.trunks"
		if s := suggest(t.Trunk, names); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		l.add(t.IVRLine, join(secTenants, t.Name)+".ivr.trunk", "%s", msg)
	}
}
