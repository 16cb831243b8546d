package awsconf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// STS is the name of the service whose settings say where roles are
// assumed (sts:AssumeRole) and with which base credentials, for the
// Task states whose Credentials name a role on an AWS service
// integration. Without an entry of its own (nor a default one) it is
// AWS's regional STS in the server's region, with the SDK's default
// credentials chain, as for any other service.
const STS = "sts"

// RoleExpiryWindow is how long before their expiry assumed credentials
// are replaced by new ones: a call signed just before the expiry could
// otherwise reach the service after it.
const RoleExpiryWindow = time.Minute

// sweepAbove is the number of cached roles above which expired entries
// are dropped: one entry per (role, execution) would otherwise only grow.
const sweepAbove = 64

type roleKey struct{ role, session string }

type roleEntry struct {
	cache *aws.CredentialsCache
	// expires is the last retrieved credentials' expiry, for the sweep.
	expires time.Time
}

// AssumeRoleError is a role that STS did not let the server assume, or
// an STS that could not be reached.
type AssumeRoleError struct {
	Role string
	Err  error
}

// Error words the failure as the Java SDK Step Functions uses reports
// it: STS's message, then (Service: Sts, Status Code, Error Code,
// Request ID), the shape of the refusal of Statecraft's own roles
// (auth.Keyring.AssumeRole).
func (e *AssumeRoleError) Error() string {
	var api smithy.APIError
	if errors.As(e.Err, &api) {
		details := "Service: Sts"
		var re *awshttp.ResponseError
		if errors.As(e.Err, &re) {
			details += fmt.Sprintf(", Status Code: %d, Error Code: %s, Request ID: %s", re.HTTPStatusCode(), api.ErrorCode(), re.ServiceRequestID())
		} else {
			details += ", Error Code: " + api.ErrorCode()
		}
		msg := api.ErrorMessage()
		if msg == "" {
			msg = api.ErrorCode()
		}
		return fmt.Sprintf("%s (%s)", msg, details)
	}
	reason := e.Err
	var send *smithyhttp.RequestSendError
	if errors.As(reason, &send) {
		reason = send.Err
		var u *url.Error
		if errors.As(reason, &u) {
			reason = u.Err
		}
		return fmt.Sprintf("Unable to execute HTTP request: %v (Service: Sts, role %s)", reason, e.Role)
	}
	return fmt.Sprintf("%v (Service: Sts, role %s)", reason, e.Role)
}

func (e *AssumeRoleError) Unwrap() error { return e.Err }

// ForRole is the aws.Config of one call to service under role: For's,
// with the temporary credentials of sts:AssumeRole on role, called at
// the STS settings' endpoint with their credentials. The credentials
// are kept per (role, session name) until RoleExpiryWindow before they
// expire, so the tasks of one execution under one role assume it once.
// executionArn names the session (SessionName). A role that cannot be
// assumed is an *AssumeRoleError; ctx's end is ctx's error.
func (c *Configs) ForRole(ctx context.Context, service, role, executionArn string) (aws.Config, error) {
	cfg, err := c.For(ctx, service)
	if err != nil {
		return aws.Config{}, err
	}
	k := roleKey{role, SessionName(executionArn)}
	cache, err := c.roleCache(ctx, k)
	if err != nil {
		return aws.Config{}, err
	}
	creds, err := cache.Retrieve(ctx)
	c.mu.Lock()
	if e := c.roles[k]; e != nil && e.cache == cache {
		if err != nil {
			// Not kept: a refused role must not hold memory, and the
			// next attempt asks STS again.
			delete(c.roles, k)
		} else {
			e.expires = creds.Expires
		}
	}
	c.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return aws.Config{}, ctx.Err()
		}
		return aws.Config{}, &AssumeRoleError{Role: role, Err: err}
	}
	// The cache, not creds: a call that the SDK retries past the expiry
	// window signs its retry with fresh credentials.
	cfg.Credentials = cache
	return cfg, nil
}

// roleCache is the credentials cache of k, made the first
// time with an STS client of the STS settings.
func (c *Configs) roleCache(ctx context.Context, k roleKey) (*aws.CredentialsCache, error) {
	stsCfg, err := c.For(ctx, STS)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.roles[k]; ok {
		return e.cache, nil
	}
	if c.roles == nil {
		c.roles = map[roleKey]*roleEntry{}
	}
	if len(c.roles) > sweepAbove {
		now := time.Now()
		for k, e := range c.roles {
			if !e.expires.IsZero() && now.After(e.expires) {
				delete(c.roles, k)
			}
		}
	}
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), k.role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = k.session
	})
	cache := aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = RoleExpiryWindow })
	c.roles[k] = &roleEntry{cache: cache}
	return cache, nil
}

// SessionName is the RoleSessionName of the roles an execution's tasks
// assume: what follows the execution ARN's resource type (the state
// machine's and the execution's names, ':' as '.'), with the other
// characters STS does not allow replaced by '-', cut to fit, and a hash
// of the whole ARN so that two executions never share a name. STS allows
// 2 to 64 characters of [\w+=,.@-]. The session name Step Functions
// itself uses is not documented nor recorded anywhere we could check;
// this one names the execution in the role's CloudTrail entries, which
// is its purpose.
func SessionName(executionArn string) string {
	sum := sha256.Sum256([]byte(executionArn))
	hash := hex.EncodeToString(sum[:6])
	name := executionArn
	if parts := strings.SplitN(executionArn, ":", 7); len(parts) == 7 {
		name = parts[6]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			return r
		case r == ':':
			return '.'
		}
		return '-'
	}, name)
	if limit := 64 - len(hash) - 1; len(name) > limit {
		name = name[:limit]
	}
	if name == "" {
		name = "statecraft"
	}
	return name + "-" + hash
}
