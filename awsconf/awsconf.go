// Package awsconf holds where each AWS service that tasks call lives and
// which credentials sign the calls: the services section of a project
// file and the server's --services file. It builds one aws.Config per
// service with aws-sdk-go-v2, so every call is signed (SigV4) by the SDK.
//
// A service is AWS itself in a region, or any compatible server named by
// its endpoint. Credentials are never in the settings: they name the
// environment variables that hold a static key, or a shared-config
// profile, or neither, which takes the SDK's default chain (environment,
// shared files, the instance's role).
package awsconf

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqsschemas "github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"gopkg.in/yaml.v3"
)

// Service is one service's settings.
type Service struct {
	// Endpoint is a compatible server's URL; "" is AWS in Region.
	Endpoint string `yaml:"endpoint"`
	// Region signs the requests and, without Endpoint, picks AWS's
	// endpoint; "" is the server's region.
	Region string `yaml:"region"`
	// PathStyle addresses S3 buckets in the path (most compatible
	// stores need it); s3 only.
	PathStyle bool `yaml:"pathStyle"`
	// Protocol "query" speaks SQS's older query protocol, for compatible
	// servers that do not speak its JSON protocol; sqs only.
	Protocol string `yaml:"protocol"`
	// AccessKeyIDEnv and SecretAccessKeyEnv name the environment
	// variables holding a static key (SessionTokenEnv, optionally, its
	// session token). Profile names a shared-config profile instead.
	AccessKeyIDEnv     string `yaml:"accessKeyIdEnv"`
	SecretAccessKeyEnv string `yaml:"secretAccessKeyEnv"`
	SessionTokenEnv    string `yaml:"sessionTokenEnv"`
	Profile            string `yaml:"profile"`
}

// Keys are the settings' names, as the files spell them.
var Keys = []string{"endpoint", "region", "pathStyle", "protocol", "accessKeyIdEnv", "secretAccessKeyEnv", "sessionTokenEnv", "profile"}

// Default is the name of the entry that applies to every service without
// its own.
const Default = "default"

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// aliases are the names Step Functions' ARNs use for one service: the
// optimized integrations say events and states, the aws-sdk ones
// eventbridge and sfn.
var aliases = map[string]string{"eventbridge": "events", "sfn": "states", "stepfunctions": "states"}

// Canonical is the name a service's settings are kept under.
func Canonical(service string) string {
	if c, ok := aliases[service]; ok {
		return c
	}
	return service
}

// Check lists what is wrong with a service's settings, each a sentence
// naming the setting.
func (s Service) Check(name string) []string {
	var out []string
	if !nameRE.MatchString(name) {
		out = append(out, fmt.Sprintf("%q is not a service name (lower-case, as in arn:aws:states:::SERVICE:action: sqs, sns, dynamodb, events, s3, lambda, states, sts, ..., or %s)", name, Default))
	}
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			out = append(out, "endpoint must be an http:// or https:// URL")
		}
	}
	for _, e := range []struct{ key, v string }{{"accessKeyIdEnv", s.AccessKeyIDEnv}, {"secretAccessKeyEnv", s.SecretAccessKeyEnv}, {"sessionTokenEnv", s.SessionTokenEnv}} {
		if e.v != "" && !envNameRE.MatchString(e.v) {
			out = append(out, e.key+" must name an environment variable (letters, digits and underscores), not hold the key itself")
		}
	}
	if (s.AccessKeyIDEnv == "") != (s.SecretAccessKeyEnv == "") {
		out = append(out, "accessKeyIdEnv and secretAccessKeyEnv go together")
	}
	if s.SessionTokenEnv != "" && s.AccessKeyIDEnv == "" {
		out = append(out, "sessionTokenEnv needs accessKeyIdEnv and secretAccessKeyEnv")
	}
	if s.Profile != "" && s.AccessKeyIDEnv != "" {
		out = append(out, "profile and accessKeyIdEnv are exclusive: the key comes from one place")
	}
	c := Canonical(name)
	if s.PathStyle && c != "s3" && name != Default {
		out = append(out, "pathStyle applies to s3 only")
	}
	switch {
	case s.Protocol == "":
	case s.Protocol != "query":
		out = append(out, fmt.Sprintf("protocol must be \"query\" (SQS's query protocol), got %q", s.Protocol))
	case c != "sqs" && name != Default:
		out = append(out, "protocol applies to sqs only")
	}
	return out
}

// Load reads a --services file: a YAML (or JSON) map from service name
// to settings, the shape of a project file's services section.
func Load(path string) (map[string]Service, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load of data read from file.
func Parse(file string, data []byte) (map[string]Service, error) {
	var raw map[string]map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	out := map[string]Service{}
	var problems []string
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var s Service
		for k, v := range raw[name] {
			var ok bool
			switch k {
			case "pathStyle":
				s.PathStyle, ok = v.(bool)
			default:
				var str string
				str, ok = v.(string)
				switch k {
				case "endpoint":
					s.Endpoint = str
				case "region":
					s.Region = str
				case "protocol":
					s.Protocol = str
				case "accessKeyIdEnv":
					s.AccessKeyIDEnv = str
				case "secretAccessKeyEnv":
					s.SecretAccessKeyEnv = str
				case "sessionTokenEnv":
					s.SessionTokenEnv = str
				case "profile":
					s.Profile = str
				default:
					problems = append(problems, fmt.Sprintf("%s: unknown setting %q; expected %s", name, k, strings.Join(Keys, ", ")))
					continue
				}
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: must be a %s", name, k, map[bool]string{true: "boolean", false: "string"}[k == "pathStyle"]))
			}
		}
		for _, p := range s.Check(name) {
			problems = append(problems, name+": "+p)
		}
		c := Canonical(name)
		if _, dup := out[c]; dup {
			problems = append(problems, fmt.Sprintf("%s: names the same service as another entry (%s)", name, c))
		}
		out[c] = s
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", file, strings.Join(problems, "; "))
	}
	return out, nil
}

// Configs builds and keeps one aws.Config per service.
type Configs struct {
	// Region is the server's: that of a service whose settings name none.
	Region string
	// Services are the settings by Canonical name; Default applies to
	// the others. A service in neither is AWS in Region with the SDK's
	// default credentials.
	Services map[string]Service
	// LookupEnv reads the variables the settings name; nil is
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)

	mu    sync.Mutex
	built map[string]aws.Config
	roles map[roleKey]*roleEntry
}

// Settings are what apply to service: its own entry, else the default one.
func (c *Configs) Settings(service string) Service {
	if s, ok := c.Services[Canonical(service)]; ok {
		return s
	}
	return c.Services[Default]
}

// For is the aws.Config of service's calls, built the first time.
func (c *Configs) For(ctx context.Context, service string) (aws.Config, error) {
	name := Canonical(service)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cfg, ok := c.built[name]; ok {
		return cfg, nil
	}
	s := c.Settings(name)
	cfg, err := c.build(ctx, s)
	if err != nil {
		return aws.Config{}, fmt.Errorf("service %s: %w", name, err)
	}
	if c.built == nil {
		c.built = map[string]aws.Config{}
	}
	c.built[name] = cfg
	return cfg, nil
}

func (c *Configs) build(ctx context.Context, s Service) (aws.Config, error) {
	lookup := c.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	region := s.Region
	if region == "" {
		region = c.Region
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	switch {
	case s.AccessKeyIDEnv != "":
		var vals [3]string
		for i, name := range []string{s.AccessKeyIDEnv, s.SecretAccessKeyEnv, s.SessionTokenEnv} {
			if name == "" {
				continue
			}
			v, ok := lookup(name)
			if !ok || v == "" {
				return aws.Config{}, fmt.Errorf("the environment variable %s is not set", name)
			}
			vals[i] = v
		}
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(vals[0], vals[1], vals[2])))
	case s.Profile != "":
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if s.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(s.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}

// The settings an aws.Config cannot carry are client options; every
// package that builds an S3 or SQS client (the optimized integrations,
// the aws-sdk ones) applies them through these, so a setting means the
// same to both.

// S3Options applies pathStyle.
func (s Service) S3Options(o *s3.Options) { o.UsePathStyle = s.PathStyle }

// SQSOptions applies protocol: query.
func (s Service) SQSOptions(o *sqs.Options) {
	if s.Protocol == "query" {
		o.Protocol = awsquery.New(sqsschemas.AmazonSQS)
	}
}
