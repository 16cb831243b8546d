package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/statecraft/statecraft/deploy"
	"github.com/statecraft/statecraft/project"
)

// DeployOptions are the flags of `statecraft deploy`.
type DeployOptions struct {
	File     string
	Endpoint string
	Region   string // the ARNs' region, and the region requests are signed for
	Account  string // the ARNs' account: the credentials' account
}

// DefaultDeployOptions are what `statecraft deploy` uses when no flag
// says otherwise: the server's own defaults.
func DefaultDeployOptions() DeployOptions {
	d := DefaultServerOptions()
	return DeployOptions{Endpoint: "http://" + d.Listen, Region: d.Region, Account: d.Account}
}

// DevelopmentCredentials are the access key and secret that a server
// without configured credentials accepts, and what `statecraft deploy`
// signs with when the environment names none.
const (
	DevelopmentAccessKeyID     = "local"
	DevelopmentSecretAccessKey = "local"
)

// deployCredentials are the credentials of `statecraft deploy`: the
// standard AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
// else the development pair.
func deployCredentials(getenv func(string) string) (aws.Credentials, error) {
	id, secret, token := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	switch {
	case id == "" && secret == "" && token == "":
		return aws.Credentials{AccessKeyID: DevelopmentAccessKeyID, SecretAccessKey: DevelopmentSecretAccessKey}, nil
	case id == "" || secret == "":
		return aws.Credentials{}, errors.New("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or neither, for the development pair local/local)")
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token}, nil
}

// Deploy loads a project file and applies it to a running server: each
// function's code directory is packed into the request, which is signed
// with SigV4 (service statecraft).
func Deploy(ctx context.Context, o DeployOptions, stdout io.Writer) error {
	creds, err := deployCredentials(os.Getenv)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	p, err := project.Load(o.File, project.Options{Region: o.Region, Account: o.Account})
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	req, err := deploy.NewRequest(p, o.Account)
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: %w", o.File, err)}
	}
	client := &deploy.Client{Endpoint: o.Endpoint, Region: o.Region, Credentials: creds}
	rep, err := client.Push(ctx, req)
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("deploying %s to %s: %w", o.File, o.Endpoint, err)}
	}
	for _, f := range rep.Functions {
		fmt.Fprintf(stdout, "function       %s\n", f)
	}
	for _, a := range rep.Activities {
		fmt.Fprintf(stdout, "activity       %s\n", a)
	}
	for _, c := range rep.Connections {
		fmt.Fprintf(stdout, "connection     %s\n", c)
	}
	for _, arn := range rep.Created {
		fmt.Fprintf(stdout, "created        %s\n", arn)
	}
	for _, arn := range rep.Updated {
		fmt.Fprintf(stdout, "updated        %s\n", arn)
	}
	for _, arn := range rep.Unchanged {
		fmt.Fprintf(stdout, "unchanged      %s\n", arn)
	}
	if p.S3 != nil {
		// A request never names the server's object store or a path of
		// its host: that is the operator's.
		fmt.Fprintf(stdout, "s3             not sent: the server's object store is its own (--s3-endpoint, --s3-dir or the s3 section of its --project)\n")
	}
	if p.Services != nil {
		// Nor where its tasks call AWS and with whose credentials.
		fmt.Fprintf(stdout, "services       not sent: the server's AWS services are its own (--services or the services section of its --project)\n")
	}
	return nil
}
