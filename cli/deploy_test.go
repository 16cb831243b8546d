package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/deploy"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/store/memstore"
)

// signedBy checks r's SigV4 signature (header form) by signing a copy of
// it, with the headers it says it signed, with creds; it returns the
// credential scope (DATE/REGION/SERVICE/aws4_request).
func signedBy(r *http.Request, body []byte, creds aws.Credentials) (string, error) {
	authz := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(authz, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", fmt.Errorf("Authorization %q is not SigV4", authz)
	}
	var key, scope string
	var signed []string
	for _, part := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "Credential":
			key, scope, _ = strings.Cut(v, "/")
		case "SignedHeaders":
			signed = strings.Split(v, ";")
		}
	}
	parts := strings.Split(scope, "/")
	if key != creds.AccessKeyID || len(parts) != 4 {
		return "", fmt.Errorf("credential %s/%s", key, scope)
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "", err
	}
	cp, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			cp.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cp, hex.EncodeToString(sum[:]), parts[2], parts[1], at); err != nil {
		return "", err
	}
	if cp.Header.Get("Authorization") != authz {
		return "", errors.New("signature mismatch")
	}
	return scope, nil
}

// deployServer is a deploy endpoint behind a stand-in for the server's
// SigV4 middleware: requests signed with one of keys for service
// statecraft get an admin principal of account 123456789012.
func deployServer(t *testing.T, keys ...aws.Credentials) (*httptest.Server, *functions.Host) {
	t.Helper()
	host := functions.NewHost(functions.HostOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { host.Close() })
	st := memstore.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	apiHandler := api.New(st, engine.New(st, engine.Options{Log: log}), api.Options{Log: log})
	h := deploy.Handler(deploy.Target{API: apiHandler, Functions: host, Connections: &deploy.Connections{},
		Region: "us-east-1", Account: "123456789012", DataDir: t.TempDir()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for _, k := range keys {
			scope, err := signedBy(r, body, k)
			if err != nil {
				continue
			}
			if !strings.HasSuffix(scope, "/us-east-1/statecraft/aws4_request") {
				http.Error(w, "signed for "+scope, http.StatusForbidden)
				return
			}
			p := &auth.Principal{AccessKeyID: k.AccessKeyID, Account: "123456789012", Role: auth.RoleAdmin, Region: "us-east-1", Via: "sigv4"}
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
			return
		}
		http.Error(w, `{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided."}`, http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	return srv, host
}

// `statecraft deploy` packs the example's functions, signs with the
// credentials in the environment (the development pair when none), and
// the functions it deployed run.
func TestDeploySignsAndPacks(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("the onboarding handlers are Node.js: install node")
	}
	dev := aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}
	admin := aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret", SessionToken: "token"}
	srv, host := deployServer(t, dev, admin)
	o := DeployOptions{File: "../examples/user-onboarding/statecraft.yaml", Endpoint: srv.URL, Region: "us-east-1", Account: "123456789012"}
	for _, c := range []struct {
		name           string
		id, secret, tk string
		ok             bool
	}{
		{"the development pair", "", "", "", true},
		{"credentials from the environment", admin.AccessKeyID, admin.SecretAccessKey, admin.SessionToken, true},
		{"a wrong secret", admin.AccessKeyID, "wrong", admin.SessionToken, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", c.id)
			t.Setenv("AWS_SECRET_ACCESS_KEY", c.secret)
			t.Setenv("AWS_SESSION_TOKEN", c.tk)
			var out bytes.Buffer
			err := Deploy(context.Background(), o, &out)
			if !c.ok {
				if err == nil || !strings.Contains(err.Error(), "403") {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"function       fetchActivityCount", "function       sendMessage", "arn:aws:states:us-east-1:123456789012:stateMachine:UserOnboarding"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
	res, err := host.Invoke(context.Background(), "123456789012", "sendMessage", []byte(`{"email":"a@example.com"}`), functions.InvokeMeta{})
	if err != nil || res.FunctionError != "" && res.ErrorType != "Error" {
		t.Fatalf("sendMessage: %v %+v", err, res)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDONLY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	if err := Deploy(context.Background(), o, io.Discard); err == nil || !strings.Contains(err.Error(), "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("half the credentials: %v", err)
	}
}

func TestAllowFunctionEnvSetting(t *testing.T) {
	o := DefaultServerOptions()
	ApplyServerEnv(&o, func(k string) string {
		return map[string]string{"STATECRAFT_ALLOW_FUNCTION_ENV": "NODE_OPTIONS, LD_PRELOAD"}[k]
	})
	if strings.Join(o.AllowFunctionEnv, ",") != "NODE_OPTIONS,LD_PRELOAD" {
		t.Fatalf("from the environment: %q", o.AllowFunctionEnv)
	}
	cfg := filepath.Join(t.TempDir(), "statecraft.json")
	os.WriteFile(cfg, []byte(`{"allowFunctionEnv":["PERL5OPT"]}`), 0o600)
	if err := LoadServerConfig(cfg, &o); err != nil || strings.Join(o.AllowFunctionEnv, ",") != "PERL5OPT" {
		t.Fatalf("from the config file: %q %v", o.AllowFunctionEnv, err)
	}
	// Allowing a variable deploys never refuse is a mistake, not a no-op.
	o.AllowFunctionEnv, o.Data = []string{"GREETING"}, t.TempDir()
	err := Server(context.Background(), o, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "allow-function-env: GREETING is not a variable that deploys refuse") {
		t.Fatalf("got %v", err)
	}
}

// The reproduction of issue 11 against the real server: the path-form
// bundle, posted as JSON and as text/plain, with and without an Origin,
// deploys nothing and the invocation finds no function.
func TestServerRefusesTheAttack(t *testing.T) {
	o := DefaultServerOptions()
	o.NoSync = true
	addr, _, _ := startTestServer(t, o)
	ctx := context.Background()
	var err error
	marker := filepath.Join(t.TempDir(), "pwned")
	bundle := `{"functions":[{"Name":"pwn","Runtime":"go1.x","Handler":"perl","CodeDir":"/usr/bin","Env":{"PERL5OPT":"-Mstrict;open(F,q(>` + marker + `))"}}]}`
	creds := aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}
	var resp *http.Response
	for _, c := range []struct {
		contentType, origin string
		sign                bool
	}{
		{"application/json", "", true},
		{"application/json", "", false},
		{"text/plain", "", false},
		{"text/plain", "https://evil.example", false},
		{"application/json", "https://evil.example", true},
	} {
		for i := 0; i < 100; i++ {
			req, _ := http.NewRequest("POST", "http://"+addr+deploy.Path, strings.NewReader(bundle))
			req.Header.Set("Content-Type", c.contentType)
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			if c.sign {
				sum := sha256.Sum256([]byte(bundle))
				v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), deploy.SigningName, "us-east-1", time.Now())
			}
			resp, err = http.DefaultClient.Do(req)
			if err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("server never answered: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%+v: %s %s", c, resp.Status, body)
		}
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/2015-03-31/functions/pwn/invocations", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "text/plain")
	sum := sha256.Sum256([]byte(`{}`))
	v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now())
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Message string }
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
		t.Errorf("invoking pwn: %s %s", resp.Status, e.Message)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("perl ran")
	}
}
