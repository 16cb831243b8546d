package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/deploy/archive"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/project"
)

// resign signs a copy of the request r (whose body is body) the way a
// SigV4 client must have, with the headers r says it signed, and returns
// the Authorization header that gives and the credential scope r claims.
func resign(r *http.Request, body []byte, creds aws.Credentials) (want, scope string, err error) {
	authz := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(authz, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", "", fmt.Errorf("Authorization %q is not SigV4", authz)
	}
	var signed []string
	for _, part := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "Credential":
			_, scope, _ = strings.Cut(v, "/")
		case "SignedHeaders":
			signed = strings.Split(v, ";")
		}
	}
	parts := strings.Split(scope, "/") // DATE/REGION/SERVICE/aws4_request
	if len(parts) != 4 {
		return "", "", fmt.Errorf("credential scope %q", scope)
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "", "", err
	}
	cp, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			cp.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cp, hex.EncodeToString(sum[:]), parts[2], parts[1], at); err != nil {
		return "", "", err
	}
	return cp.Header.Get("Authorization"), scope, nil
}

// sigV4Door stands for the server's authentication middleware: it admits
// a request signed with creds for service statecraft as an admin of
// account, in the region it was signed for, and refuses anything else with
// 403.
func sigV4Door(creds aws.Credentials, account string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		want, scope, err := resign(r, body, creds)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		case want != r.Header.Get("Authorization"):
			http.Error(w, "signature mismatch", http.StatusForbidden)
			return
		case !strings.HasSuffix(scope, "/statecraft/aws4_request"):
			http.Error(w, "signed for "+scope+", not service statecraft", http.StatusForbidden)
			return
		case r.Header.Get("X-Amz-Security-Token") != creds.SessionToken:
			http.Error(w, "wrong session token", http.StatusForbidden)
			return
		}
		p := &auth.Principal{AccessKeyID: creds.AccessKeyID, Account: account, Role: auth.RoleAdmin, Region: strings.Split(scope, "/")[1], Via: "sigv4"}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// The client packs the onboarding example's shared functions directory
// once, signs the request, and the functions it deploys run.
func TestClientPacksSignsAndDeploys(t *testing.T) {
	needNode(t)
	p, err := project.Load("../examples/user-onboarding/statecraft.yaml", project.Options{Region: "eu-west-1", Account: accountA})
	if err != nil {
		t.Fatal(err)
	}
	req, err := NewRequest(p, accountA)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Code) != 1 || len(req.Functions) != 2 || req.Functions[0].Code != req.Functions[1].Code {
		t.Fatalf("two functions sharing a directory must share one archive: %d archives, %+v", len(req.Code), req.Functions)
	}
	// What the server unpacks is the directory, file for file.
	a := req.Code[req.Functions[0].Code]
	dest := filepath.Join(t.TempDir(), "code")
	if _, err := archive.Unpack(a.Data, a.Format, dest, archive.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if got, want := files(t, dest), files(t, "../examples/user-onboarding/functions"); got != want || want == "" {
		t.Fatalf("unpacked:\n%s\nthe directory:\n%s", got, want)
	}

	s := newServer(t)
	creds := aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "s3cret", SessionToken: "session-token"}
	srv := httptest.NewServer(sigV4Door(creds, accountA, s.handler))
	defer srv.Close()

	// A wrong secret, a missing session token or another service's
	// signature does not pass the door.
	for _, c := range []*Client{
		{Endpoint: srv.URL, Region: "eu-west-1", Credentials: aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "wrong", SessionToken: "session-token"}},
		{Endpoint: srv.URL, Region: "eu-west-1", Credentials: aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "s3cret"}},
	} {
		if _, err := c.Push(context.Background(), req); err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("%+v: %v", c.Credentials, err)
		}
	}

	c := &Client{Endpoint: srv.URL, Region: "eu-west-1", Credentials: creds}
	rep, err := c.Push(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Functions, ",") != "fetchActivityCount,sendMessage" || rep.Created[0] != "arn:aws:states:eu-west-1:"+accountA+":stateMachine:UserOnboarding" {
		t.Fatalf("report %+v", rep)
	}
	// The seed's handler answers {"activities":0|1} or fails at random.
	res, err := s.t.Functions.Invoke(context.Background(), accountA, "fetchActivityCount", []byte(`{}`), functions.InvokeMeta{})
	if err != nil || res.FunctionError == "" && !strings.HasPrefix(string(res.Payload), `{"activities":`) || res.FunctionError != "" && res.ErrorType != "Error" {
		t.Fatalf("fetchActivityCount: %v %s %s %s", err, res.ErrorType, res.Payload, res.Logs)
	}

	// A refused deployment comes back as an *Error with its problems.
	req.Functions[0].Environment = map[string]string{"NODE_OPTIONS": "--require /tmp/x.js"}
	_, err = c.Push(context.Background(), req)
	var de *Error
	if !errors.As(err, &de) || !strings.Contains(de.Error(), "functions.fetchActivityCount.environment.NODE_OPTIONS: refused") && !strings.Contains(de.Error(), "functions.sendMessage.environment.NODE_OPTIONS: refused") {
		t.Fatalf("refused deployment: %v", err)
	}
}

// files lists a directory's regular files with their contents' hashes.
func files(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %x\n", filepath.ToSlash(rel), sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
