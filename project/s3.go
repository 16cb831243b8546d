package project

import (
	"net/url"
	"regexp"

	"gopkg.in/yaml.v3"
)

// S3 is the object store of Distributed Maps' ItemReader and ResultWriter
// (the s3 section): an S3-compatible Endpoint or a Dir of the host, as
// the server's --s3-* flags name it. The key is never in the file: it
// names the environment variables that hold it, read by whoever uses
// the store (the server at start-up, `statecraft run`).
type S3 struct {
	Endpoint  string
	Region    string
	PathStyle bool
	Dir       string // absolute
	// AccessKeyIDEnv and SecretAccessKeyEnv name the variables holding
	// the key; both "" sends unsigned requests.
	AccessKeyIDEnv, SecretAccessKeyEnv string
	Line                               int
}

const secS3 = "s3"

var (
	s3Keys    = []string{"endpoint", "region", "pathStyle", "dir", "accessKeyIdEnv", "secretAccessKeyEnv"}
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (l *loader) s3(e entry) *S3 {
	s := &S3{Line: e.key.Line}
	o, ok := l.object(e.val, secS3, s3Keys)
	if !ok {
		return s
	}
	field := func(k string) string { return secS3 + "." + k }
	if v, has := o["endpoint"]; has {
		if str, good := l.str(v, field("endpoint")); good {
			u, err := url.Parse(str)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				l.add(v.val.Line, field("endpoint"), "must be an http:// or https:// URL")
			}
			s.Endpoint = str
		}
	}
	if v, has := o["region"]; has {
		s.Region, _ = l.str(v, field("region"))
	}
	if v, has := o["pathStyle"]; has {
		n := resolve(v.val)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&s.PathStyle) != nil {
			l.add(n.Line, field("pathStyle"), "must be true or false")
		}
	}
	if v, has := o["dir"]; has {
		if str, good := l.str(v, field("dir")); good {
			s.Dir = l.abs(str)
		}
	}
	for _, k := range []struct {
		key string
		dst *string
	}{{"accessKeyIdEnv", &s.AccessKeyIDEnv}, {"secretAccessKeyEnv", &s.SecretAccessKeyEnv}} {
		v, has := o[k.key]
		if !has {
			continue
		}
		if str, good := l.str(v, field(k.key)); good {
			if !envNameRE.MatchString(str) {
				l.add(v.val.Line, field(k.key), "must name an environment variable (letters, digits and underscores), not hold the key itself")
			}
			*k.dst = str
		}
	}
	switch {
	case s.Endpoint == "" && s.Dir == "":
		l.add(s.Line, secS3, "needs endpoint (an S3-compatible store) or dir (a directory whose subdirectories are the buckets)")
	case s.Endpoint != "" && s.Dir != "":
		l.add(s.Line, secS3, "endpoint and dir are exclusive: items come from one store")
	case s.Dir != "" && (s.Region != "" || s.PathStyle || s.AccessKeyIDEnv != "" || s.SecretAccessKeyEnv != ""):
		l.add(s.Line, secS3, "dir takes no region, pathStyle or key: those are an endpoint's")
	}
	if (s.AccessKeyIDEnv == "") != (s.SecretAccessKeyEnv == "") {
		l.add(s.Line, secS3, "accessKeyIdEnv and secretAccessKeyEnv go together")
	}
	return s
}
