package project

import (
	"github.com/statecraft/statecraft/awsconf"

	"gopkg.in/yaml.v3"
)

const secServices = "services"

// services reads the services section: per AWS service (sqs, sns,
// dynamodb, events, s3, ... or default for all others) where its Task
// integrations call it and with which credentials, the shape of the
// server's --services file (package awsconf).
func (l *loader) services(e entry) map[string]awsconf.Service {
	n := resolve(e.val)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.add(n.Line, secServices, "must be a mapping from service name (sqs, sns, dynamodb, events, s3, ..., default) to its settings")
		return nil
	}
	out := map[string]awsconf.Service{}
	for _, se := range l.entries(n, secServices) {
		name := se.key.Value
		field := join(secServices, name)
		o, ok := l.object(se.val, field, awsconf.Keys)
		if !ok {
			continue
		}
		var s awsconf.Service
		for k, dst := range map[string]*string{"endpoint": &s.Endpoint, "region": &s.Region, "protocol": &s.Protocol,
			"accessKeyIdEnv": &s.AccessKeyIDEnv, "secretAccessKeyEnv": &s.SecretAccessKeyEnv, "sessionTokenEnv": &s.SessionTokenEnv, "profile": &s.Profile} {
			if v, has := o[k]; has {
				*dst, _ = l.str(v, join(field, k))
			}
		}
		if v, has := o["pathStyle"]; has {
			b := resolve(v.val)
			if b.Kind != yaml.ScalarNode || b.Tag != "!!bool" || b.Decode(&s.PathStyle) != nil {
				l.add(b.Line, join(field, "pathStyle"), "must be true or false")
			}
		}
		for _, p := range s.Check(name) {
			l.add(se.key.Line, field, "%s", p)
		}
		c := awsconf.Canonical(name)
		if _, dup := out[c]; dup {
			l.add(se.key.Line, field, "names the same service as another entry (%s)", c)
		}
		out[c] = s
	}
	return out
}
