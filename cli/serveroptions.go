package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/itemreader"
	"github.com/statecraft/statecraft/project"
)

// ServerOptions are the settings of `statecraft server`.
type ServerOptions struct {
	Listen    string `json:"listen"`
	Data      string `json:"data"`
	Region    string `json:"region"`
	Account   string `json:"account"`
	NoSync    bool   `json:"noSync"`
	LogFormat string `json:"logFormat"` // text or json
	LogLevel  string `json:"logLevel"`  // debug, info, warn, error
	Project   string `json:"project"`   // project file applied at start-up
	AdminKey  string `json:"adminKey"`  // admin key of the workflow API (besides the project's)
	// Credentials is the credentials file (accounts, access keys, roles;
	// see package auth); "" serves only the development pair, on loopback.
	Credentials string `json:"credentials"`
	// TLSCert and TLSKey serve HTTPS (HTTP/2 and HTTP/1.1), read again on
	// SIGHUP.
	TLSCert string `json:"tlsCert"`
	TLSKey  string `json:"tlsKey"`
	// MetricsToken is the bearer token GET /metrics takes on the main
	// address; MetricsListen serves /metrics alone, without a token, on a
	// separate address (for a scraper on a private network).
	MetricsToken  string `json:"metricsToken"`
	MetricsListen string `json:"metricsListen"`
	// Connection limits. Long polls (GetActivityTask), StartSyncExecution,
	// Lambda invocations and the console's live stream extend their own
	// deadlines past ReadTimeout and WriteTimeout, each by its own bound.
	MaxConnections    int      `json:"maxConnections"`
	ReadHeaderTimeout Duration `json:"readHeaderTimeout"`
	ReadTimeout       Duration `json:"readTimeout"`
	WriteTimeout      Duration `json:"writeTimeout"`
	IdleTimeout       Duration `json:"idleTimeout"`
	// AllowFunctionEnv names loader variables (deploy.LoaderEnv) that
	// functions deployed over HTTP may set nevertheless.
	AllowFunctionEnv []string `json:"allowFunctionEnv"`
	// Retention is how long closed executions are kept ("90d", "36h"; "0":
	// for ever), RetentionInterval how often they are looked for.
	Retention         string `json:"retention"`
	RetentionInterval string `json:"retentionInterval"`
	// DB, a postgres:// URL, puts the store in that PostgreSQL database
	// instead of SQLite in Data (which still holds the console's key and
	// deployed code); DBSchema is the schema there, "" for "statecraft".
	DB       string `json:"db"`
	DBSchema string `json:"dbSchema"`
	// NodeID names this server among the nodes sharing a PostgreSQL
	// store ("" picks one from the host name and port); ShardLease is how
	// long its shard leases last, and so about how soon the others take
	// over when it dies. Both are for --db only.
	NodeID     string   `json:"nodeId"`
	ShardLease Duration `json:"shardLease"`
	// S3Endpoint is the S3-compatible object store Distributed Maps read
	// their items from (ItemReader); "" fails such Maps. It is the only
	// place a read goes: a definition names buckets and keys, never
	// hosts. S3PathStyle addresses buckets in the path, as most
	// self-hosted stores need.
	S3Endpoint  string `json:"s3Endpoint"`
	S3Region    string `json:"s3Region"`
	S3PathStyle bool   `json:"s3PathStyle"`
	// S3Dir, instead of S3Endpoint, serves the buckets from a directory of
	// the host: each subdirectory a bucket, each file below it an object.
	// No request reaches outside it; without it no host path is reachable.
	S3Dir string `json:"s3Dir"`
	// The store's access key comes from the environment only
	// (STATECRAFT_S3_ACCESS_KEY_ID, STATECRAFT_S3_SECRET_ACCESS_KEY): a
	// flag shows in the process list, and a config file gets copied.
	S3AccessKeyID     string `json:"-"`
	S3SecretAccessKey string `json:"-"`
	// Services is a YAML or JSON file naming, per AWS service, the
	// endpoint and credentials of Task integrations (package awsconf: the
	// shape of a project file's services section); "" calls AWS in
	// Region with the SDK's default credentials.
	Services string `json:"services"`
	// CostPrices is a JSON price table (package cost) over the embedded
	// us-east-1 list prices; "" keeps those.
	CostPrices string `json:"costPrices"`
	// ExpressAllTasks lets EXPRESS machines use activities, .sync and
	// .waitForTaskToken, which AWS refuses in them (api.Options).
	ExpressAllTasks bool `json:"expressAllTasks"`
}

// Duration is a time.Duration written "90s" or "5m" in the config file.
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"30s\" or \"5m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// DefaultServerOptions are what the server uses when nothing says otherwise.
func DefaultServerOptions() ServerOptions {
	return ServerOptions{
		Listen:    "127.0.0.1:8083",
		Data:      "./statecraft-data",
		Region:    "us-east-1",
		Account:   "123456789012",
		LogFormat: "text",
		LogLevel:  "info",

		MaxConnections:    1024,
		ReadHeaderTimeout: Duration(10 * time.Second),
		ReadTimeout:       Duration(60 * time.Second),
		WriteTimeout:      Duration(60 * time.Second),
		IdleTimeout:       Duration(60 * time.Second),
		Retention:         DefaultRetention,
		RetentionInterval: DefaultRetentionInterval,
	}
}

// ServerEnv maps environment variables to settings.
var ServerEnv = map[string]func(*ServerOptions, string){
	"STATECRAFT_LISTEN":    func(o *ServerOptions, v string) { o.Listen = v },
	"STATECRAFT_DATA":      func(o *ServerOptions, v string) { o.Data = v },
	"STATECRAFT_DB":        func(o *ServerOptions, v string) { o.DB = v },
	"STATECRAFT_DB_SCHEMA": func(o *ServerOptions, v string) { o.DBSchema = v },
	"STATECRAFT_NODE_ID":   func(o *ServerOptions, v string) { o.NodeID = v },
	"STATECRAFT_REGION":    func(o *ServerOptions, v string) { o.Region = v },
	"STATECRAFT_ACCOUNT":   func(o *ServerOptions, v string) { o.Account = v },
	"STATECRAFT_NO_SYNC":   func(o *ServerOptions, v string) { o.NoSync = v == "1" || strings.EqualFold(v, "true") },
	"STATECRAFT_EXPRESS_ALL_TASKS": func(o *ServerOptions, v string) {
		o.ExpressAllTasks = v == "1" || strings.EqualFold(v, "true")
	},
	"STATECRAFT_LOG_FORMAT":     func(o *ServerOptions, v string) { o.LogFormat = v },
	"STATECRAFT_LOG_LEVEL":      func(o *ServerOptions, v string) { o.LogLevel = v },
	"STATECRAFT_PROJECT":        func(o *ServerOptions, v string) { o.Project = v },
	"STATECRAFT_ADMIN_KEY":      func(o *ServerOptions, v string) { o.AdminKey = v },
	"STATECRAFT_CREDENTIALS":    func(o *ServerOptions, v string) { o.Credentials = v },
	"STATECRAFT_TLS_CERT":       func(o *ServerOptions, v string) { o.TLSCert = v },
	"STATECRAFT_TLS_KEY":        func(o *ServerOptions, v string) { o.TLSKey = v },
	"STATECRAFT_METRICS_TOKEN":  func(o *ServerOptions, v string) { o.MetricsToken = v },
	"STATECRAFT_COST_PRICES":    func(o *ServerOptions, v string) { o.CostPrices = v },
	"STATECRAFT_METRICS_LISTEN": func(o *ServerOptions, v string) { o.MetricsListen = v },
	"STATECRAFT_ALLOW_FUNCTION_ENV": func(o *ServerOptions, v string) {
		o.AllowFunctionEnv = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
	},
	"STATECRAFT_RETENTION":   func(o *ServerOptions, v string) { o.Retention = v },
	"STATECRAFT_S3_ENDPOINT": func(o *ServerOptions, v string) { o.S3Endpoint = v },
	"STATECRAFT_S3_REGION":   func(o *ServerOptions, v string) { o.S3Region = v },
	"STATECRAFT_S3_DIR":      func(o *ServerOptions, v string) { o.S3Dir = v },
	"STATECRAFT_SERVICES":    func(o *ServerOptions, v string) { o.Services = v },
	"STATECRAFT_S3_PATH_STYLE": func(o *ServerOptions, v string) {
		o.S3PathStyle = v == "1" || strings.EqualFold(v, "true")
	},
	"STATECRAFT_S3_ACCESS_KEY_ID":     func(o *ServerOptions, v string) { o.S3AccessKeyID = v },
	"STATECRAFT_S3_SECRET_ACCESS_KEY": func(o *ServerOptions, v string) { o.S3SecretAccessKey = v },
	"STATECRAFT_RETENTION_INTERVAL":   func(o *ServerOptions, v string) { o.RetentionInterval = v },
}

// LoadServerConfig applies a JSON config file over o. Unknown keys are an
// error, so a misspelt setting is not silently ignored.
func LoadServerConfig(path string, o *ServerOptions) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(o); err != nil {
		return fmt.Errorf("config %s: %v", path, err)
	}
	return nil
}

// ServerFlags set each flag of `statecraft server` but --config from the
// flags' values (flags) over the settings o: the flags that were given
// are the last word, over the environment and the config file.
var ServerFlags = map[string]func(o *ServerOptions, flags ServerOptions){
	"listen":              func(o *ServerOptions, f ServerOptions) { o.Listen = f.Listen },
	"data":                func(o *ServerOptions, f ServerOptions) { o.Data = f.Data },
	"db":                  func(o *ServerOptions, f ServerOptions) { o.DB = f.DB },
	"db-schema":           func(o *ServerOptions, f ServerOptions) { o.DBSchema = f.DBSchema },
	"node-id":             func(o *ServerOptions, f ServerOptions) { o.NodeID = f.NodeID },
	"shard-lease":         func(o *ServerOptions, f ServerOptions) { o.ShardLease = f.ShardLease },
	"region":              func(o *ServerOptions, f ServerOptions) { o.Region = f.Region },
	"account":             func(o *ServerOptions, f ServerOptions) { o.Account = f.Account },
	"no-sync":             func(o *ServerOptions, f ServerOptions) { o.NoSync = f.NoSync },
	"express-all-tasks":   func(o *ServerOptions, f ServerOptions) { o.ExpressAllTasks = f.ExpressAllTasks },
	"log-format":          func(o *ServerOptions, f ServerOptions) { o.LogFormat = f.LogFormat },
	"log-level":           func(o *ServerOptions, f ServerOptions) { o.LogLevel = f.LogLevel },
	"project":             func(o *ServerOptions, f ServerOptions) { o.Project = f.Project },
	"admin-key":           func(o *ServerOptions, f ServerOptions) { o.AdminKey = f.AdminKey },
	"credentials":         func(o *ServerOptions, f ServerOptions) { o.Credentials = f.Credentials },
	"tls-cert":            func(o *ServerOptions, f ServerOptions) { o.TLSCert = f.TLSCert },
	"tls-key":             func(o *ServerOptions, f ServerOptions) { o.TLSKey = f.TLSKey },
	"metrics-token":       func(o *ServerOptions, f ServerOptions) { o.MetricsToken = f.MetricsToken },
	"metrics-listen":      func(o *ServerOptions, f ServerOptions) { o.MetricsListen = f.MetricsListen },
	"max-connections":     func(o *ServerOptions, f ServerOptions) { o.MaxConnections = f.MaxConnections },
	"read-header-timeout": func(o *ServerOptions, f ServerOptions) { o.ReadHeaderTimeout = f.ReadHeaderTimeout },
	"read-timeout":        func(o *ServerOptions, f ServerOptions) { o.ReadTimeout = f.ReadTimeout },
	"write-timeout":       func(o *ServerOptions, f ServerOptions) { o.WriteTimeout = f.WriteTimeout },
	"idle-timeout":        func(o *ServerOptions, f ServerOptions) { o.IdleTimeout = f.IdleTimeout },
	"allow-function-env":  func(o *ServerOptions, f ServerOptions) { o.AllowFunctionEnv = f.AllowFunctionEnv },
	"retention":           func(o *ServerOptions, f ServerOptions) { o.Retention = f.Retention },
	"retention-interval":  func(o *ServerOptions, f ServerOptions) { o.RetentionInterval = f.RetentionInterval },
	"s3-endpoint":         func(o *ServerOptions, f ServerOptions) { o.S3Endpoint = f.S3Endpoint },
	"s3-region":           func(o *ServerOptions, f ServerOptions) { o.S3Region = f.S3Region },
	"s3-path-style":       func(o *ServerOptions, f ServerOptions) { o.S3PathStyle = f.S3PathStyle },
	"s3-dir":              func(o *ServerOptions, f ServerOptions) { o.S3Dir = f.S3Dir },
	"cost-prices":         func(o *ServerOptions, f ServerOptions) { o.CostPrices = f.CostPrices },
	"services":            func(o *ServerOptions, f ServerOptions) { o.Services = f.Services },
}

// ServerSettings are the settings of `statecraft server`: the flags that
// were given (given tells which, flags holds their values), over the
// STATECRAFT_* environment (getenv), over the JSON config file (when
// configFile is not ""), over DefaultServerOptions.
func ServerSettings(configFile string, getenv func(string) string, flags ServerOptions, given func(flag string) bool) (ServerOptions, error) {
	o := DefaultServerOptions()
	if configFile != "" {
		if err := LoadServerConfig(configFile, &o); err != nil {
			return o, &ExitError{Code: 1, Err: err}
		}
	}
	ApplyServerEnv(&o, getenv)
	for name, set := range ServerFlags {
		if given(name) {
			set(&o, flags)
		}
	}
	return o, nil
}

// ApplyServerEnv applies STATECRAFT_* variables over o.
func ApplyServerEnv(o *ServerOptions, getenv func(string) string) {
	for name, set := range ServerEnv {
		if v := getenv(name); v != "" {
			set(o, v)
		}
	}
}

// itemStore is the reader of the configured object store (the server's
// settings, or the s3 section of its project p), nil when none is
// configured.
func itemStore(o ServerOptions, p *project.Project) (*itemreader.Reader, error) {
	s, err := S3Options{Endpoint: o.S3Endpoint, Region: o.S3Region, PathStyle: o.S3PathStyle, Dir: o.S3Dir,
		AccessKeyID: o.S3AccessKeyID, SecretAccessKey: o.S3SecretAccessKey}.withProject(p, o.Project, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	return s.Reader(o.Region)
}

// withProject is o with the store of a project file's s3 section, if it
// has one; the key is read from the variables the section names. A store
// named both ways is an error: neither silently wins.
func (o S3Options) withProject(p *project.Project, file string, lookup func(string) (string, bool)) (S3Options, error) {
	if p == nil || p.S3 == nil {
		return o, nil
	}
	if o.Configured() {
		return o, fmt.Errorf("%s: its s3 section and --s3-endpoint or --s3-dir (or their STATECRAFT_S3_* variables or config keys) both name the object store; keep one", file)
	}
	s := p.S3
	n := S3Options{Endpoint: s.Endpoint, Region: s.Region, PathStyle: s.PathStyle, Dir: s.Dir}
	for _, k := range []struct {
		name string
		dst  *string
	}{{s.AccessKeyIDEnv, &n.AccessKeyID}, {s.SecretAccessKeyEnv, &n.SecretAccessKey}} {
		if k.name == "" {
			continue
		}
		v, ok := lookup(k.name)
		if !ok || v == "" {
			return o, fmt.Errorf("%s: s3: the environment variable %s is not set", file, k.name)
		}
		*k.dst = v
	}
	return n, nil
}

// S3Options name the object store Distributed Maps read items from and
// write results to: an S3-compatible Endpoint, or a Dir of the host.
type S3Options struct {
	Endpoint  string
	Region    string
	PathStyle bool
	Dir       string
	// The key, from the environment (STATECRAFT_S3_ACCESS_KEY_ID,
	// STATECRAFT_S3_SECRET_ACCESS_KEY) or the variables a project file
	// names, never from a flag.
	AccessKeyID, SecretAccessKey string
}

// Configured tells whether o names a store.
func (o S3Options) Configured() bool { return o.Endpoint != "" || o.Dir != "" }

// Reader makes the reader of the store o names, nil when it names none;
// region signs the requests when o has none.
func (o S3Options) Reader(region string) (*itemreader.Reader, error) {
	if o.Dir != "" {
		if o.Endpoint != "" {
			return nil, fmt.Errorf("--s3-dir and --s3-endpoint are exclusive: items come from one store")
		}
		fi, err := os.Stat(o.Dir)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--s3-dir must name a directory, got %q", o.Dir)
		}
		return itemreader.New(itemreader.Config{Dir: o.Dir})
	}
	if o.Endpoint == "" {
		return nil, nil
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--s3-endpoint must be an http:// or https:// URL, got %q", o.Endpoint)
	}
	if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
		return nil, fmt.Errorf("STATECRAFT_S3_ACCESS_KEY_ID and STATECRAFT_S3_SECRET_ACCESS_KEY must be set together")
	}
	if o.Region != "" {
		region = o.Region
	}
	return itemreader.New(itemreader.Config{Endpoint: o.Endpoint, Region: region, AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, PathStyle: o.PathStyle})
}

// serviceConfigs are the AWS services' settings of Task integrations: a
// --services file's and a project's services section, which may not both
// name one service.
func serviceConfigs(region, servicesFile string, p *project.Project, projectFile string) (*awsconf.Configs, error) {
	c := &awsconf.Configs{Region: region, Services: map[string]awsconf.Service{}}
	if servicesFile != "" {
		s, err := awsconf.Load(servicesFile)
		if err != nil {
			return nil, err
		}
		c.Services = s
	}
	if p != nil {
		for name, s := range p.Services {
			if _, dup := c.Services[name]; dup {
				return nil, fmt.Errorf("%s: its services section and %s both name the service %s; keep one", projectFile, servicesFile, name)
			}
			c.Services[name] = s
		}
	}
	return c, nil
}
