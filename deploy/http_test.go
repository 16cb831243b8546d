package deploy

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
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
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/deploy/archive"
	"github.com/statecraft/statecraft/functions"
)

const (
	accountA = "111111111111"
	accountB = "222222222222"
)

func admin(account string) *auth.Principal {
	return &auth.Principal{AccessKeyID: "AKIA" + account, Account: account, Role: auth.RoleAdmin, Via: "sigv4"}
}

// server is a deploy handler over a real functions host and store.
type server struct {
	t       Target
	handler http.Handler
}

func newServer(t *testing.T, mod ...func(*Target)) *server {
	t.Helper()
	host := functions.NewHost(functions.HostOptions{Region: "us-east-1", Account: "123456789012", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { host.Close() })
	tg := Target{API: newAPI(t), Functions: host, Connections: &Connections{}, Region: "us-east-1", Account: "123456789012", DataDir: t.TempDir()}
	for _, m := range mod {
		m(&tg)
	}
	return &server{t: tg, handler: Handler(tg)}
}

// post sends body to the handler as p (nil: no principal), the way the
// authentication middleware will hand it over, with headers (Content-Type
// application/json unless headers set one).
func (s *server) post(t *testing.T, p *auth.Principal, body io.Reader, headers ...string) (int, refusal, Report) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, Path, body)
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			r.Header.Del(headers[i])
		} else {
			r.Header.Set(headers[i], headers[i+1])
		}
	}
	if p != nil {
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	var ref refusal
	var rep Report
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
			t.Fatalf("report %s: %v", w.Body, err)
		}
	} else if err := json.Unmarshal(w.Body.Bytes(), &ref); err != nil {
		t.Fatalf("refusal %s: %v", w.Body, err)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return w.Code, ref, rep
}

func (s *server) deploy(t *testing.T, p *auth.Principal, req *Request) (int, refusal, Report) {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return s.post(t, p, bytes.NewReader(body))
}

// mustDeploy deploys req and fails the test unless it succeeds.
func (s *server) mustDeploy(t *testing.T, p *auth.Principal, req *Request) Report {
	t.Helper()
	code, ref, rep := s.deploy(t, p, req)
	if code != http.StatusOK {
		t.Fatalf("deploy: %d %s: %s\n%s", code, ref.Type, ref.Message, strings.Join(ref.Problems, "\n"))
	}
	return rep
}

// refusedWith checks a refusal lists a problem containing each of want.
func refusedWith(t *testing.T, code int, ref refusal, want ...string) {
	t.Helper()
	if code != http.StatusBadRequest {
		t.Fatalf("status %d (%s: %s), want 400", code, ref.Type, ref.Message)
	}
	all := strings.Join(ref.Problems, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no problem contains %q; problems:\n%s", w, all)
		}
	}
}

// packDir packs dir as format.
func packDir(t *testing.T, dir, format string) Archive {
	t.Helper()
	var buf bytes.Buffer
	if err := archive.Pack(&buf, dir, format, archive.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	return Archive{Format: format, Data: buf.Bytes()}
}

func sum(a Archive) string {
	h := sha256.Sum256(a.Data)
	return hex.EncodeToString(h[:])
}

// withCode is a request deploying one function f with the archive a.
func withCode(f Function, a Archive) *Request {
	f.Code = sum(a)
	return &Request{Functions: []Function{f}, Code: map[string]Archive{f.Code: a}}
}

// nodeCode is a code directory whose index.who answers {"who": WHO}.
func nodeCode(t *testing.T, who string) string {
	t.Helper()
	dir := t.TempDir()
	code := `exports.who = async (event, context) => ({ who: "` + who + `", arn: context.invokedFunctionArn, root: process.env.LAMBDA_TASK_ROOT, extra: process.env.EXTRA || null });` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type whoAnswer struct {
	Who, Arn, Root string
	Extra          *string
}

func invokeWho(t *testing.T, s *server, account, name string) whoAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.t.Functions.Invoke(ctx, account, name, nil, functions.InvokeMeta{})
	if err != nil {
		t.Fatalf("invoke %s/%s: %v", account, name, err)
	}
	if res.FunctionError != "" {
		t.Fatalf("invoke %s/%s: %s %s\n%s", account, name, res.ErrorType, res.Payload, res.Logs)
	}
	var out whoAnswer
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("these tests run real Node.js functions: install node")
	}
}

// The request of issue 11: a go1.x "function" that is perl from /usr/bin
// with PERL5OPT, in the old bundle's shape and in the new one's. Every way
// of naming a server path is refused with the field named, and nothing is
// registered or written.
func TestAttackBundleRefused(t *testing.T) {
	s := newServer(t)
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"old bundle", `{"functions":[{"Name":"pwn","Runtime":"go1.x","Handler":"perl","CodeDir":"/usr/bin","Env":{"PERL5OPT":"-Mstrict;system(q(id))"}}]}`,
			[]string{"functions[0].CodeDir: a path on the server is not accepted", "functions[0].Env: unknown field", "functions[0].Handler: unknown field (did you mean handler?)"}},
		{"new shape with codeDir", `{"functions":[{"name":"pwn","runtime":"go1.x","handler":"perl","codeDir":"/usr/bin","environment":{"PERL5OPT":"-Mstrict;system(q(id))"}}]}`,
			[]string{"functions[0].codeDir: a path on the server is not accepted", "functions.pwn.environment.PERL5OPT: refused: it changes what code runs", "functions.pwn.code: required"}},
		{"a path as the code", `{"functions":[{"name":"pwn","runtime":"go1.x","handler":"perl","code":"/usr/bin"}]}`,
			[]string{`functions.pwn.code: "/usr/bin" is not the hex SHA-256 of an archive in code (a path on the server is not accepted)`}},
		{"perl as the runtime", `{"functions":[{"name":"pwn","runtime":"perl","handler":"x","code":"/usr/bin"}]}`,
			[]string{`functions.pwn.runtime: unsupported runtime "perl"`}},
		{"a path at the top", `{"codeDir":"/usr/bin"}`, []string{"codeDir: a path on the server is not accepted"}},
		{"a definition file", `{"stateMachines":[{"name":"m","definitionFile":"/etc/passwd","definition":"{}"}]}`,
			[]string{"stateMachines[0].definitionFile: a path on the server is not accepted"}},
		{"a handler outside the code", `{"functions":[{"name":"pwn","runtime":"go1.x","handler":"../../../../usr/bin/perl","code":"` + strings.Repeat("0", 64) + `"}]}`,
			[]string{"functions.pwn.code: no archive " + strings.Repeat("0", 64)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, ref, _ := s.post(t, admin(accountA), strings.NewReader(c.body))
			refusedWith(t, code, ref, c.want...)
			// The same as text/plain, as a page on another origin would send it.
			if code, _, _ := s.post(t, admin(accountA), strings.NewReader(c.body), "Content-Type", "text/plain"); code != http.StatusUnsupportedMediaType {
				t.Errorf("text/plain: %d", code)
			}
		})
	}
	if _, err := s.t.Functions.Invoke(context.Background(), accountA, "pwn", nil, functions.InvokeMeta{}); !errors.Is(err, functions.ErrFunctionNotFound) {
		t.Fatalf("pwn was registered: %v", err)
	}
	if entries, _ := os.ReadDir(s.t.DataDir); len(entries) != 0 {
		t.Fatalf("a refused request wrote %v into the data directory", entries)
	}
}

// A handler that points outside the uploaded code is refused even when the
// archive is real.
func TestHandlerOutsideTheCodeRefused(t *testing.T) {
	s := newServer(t)
	a := packDir(t, nodeCode(t, "x"), archive.TarGz)
	for _, c := range []struct {
		f    Function
		want string
	}{
		{Function{Name: "g", Runtime: "go1.x", Handler: "/usr/bin/perl"}, `functions.g.handler: "/usr/bin/perl": the executable must be a relative path inside the archive`},
		{Function{Name: "g", Runtime: "go1.x", Handler: "../../../../../usr/bin/perl"}, `functions.g.handler: "../../../../../usr/bin/perl": the executable must be a relative path`},
		{Function{Name: "g", Runtime: "go1.x", Handler: "index.js"}, `functions.g.handler: "index.js" is not executable in the archive`},
		{Function{Name: "g", Runtime: "go1.x", Handler: "perl"}, `functions.g.handler: "perl" is not a file in the archive`},
		{Function{Name: "n", Runtime: "nodejs20.x", Handler: "/etc/evil.handler"}, `functions.n.handler: "/etc/evil.handler": the file must be inside the code`},
		{Function{Name: "n", Runtime: "nodejs20.x", Handler: "missing.handler"}, "functions.n.handler: no missing.js, .mjs or .cjs in the archive"},
		{Function{Name: "p", Runtime: "provided.al2023"}, "functions.p.code: a provided.al2023 function runs bootstrap, which is not a file in the archive"},
	} {
		code, ref, _ := s.deploy(t, admin(accountA), withCode(c.f, a))
		refusedWith(t, code, ref, c.want)
	}
}

func TestOnlyAnAdminDeploys(t *testing.T) {
	s := newServer(t)
	body := `{"activities":[{"name":"a"}]}`
	code, ref, _ := s.post(t, nil, strings.NewReader(body))
	if code != http.StatusUnauthorized || ref.Type != "MissingAuthenticationTokenException" {
		t.Errorf("no principal: %d %+v", code, ref)
	}
	for _, role := range []auth.Role{auth.RoleOperator, auth.RoleWorker, auth.RoleReadOnly, "root"} {
		p := &auth.Principal{AccessKeyID: "AKIDOPS", Account: accountA, Role: role, Via: "sigv4"}
		code, ref, _ := s.post(t, p, strings.NewReader(body))
		if code != http.StatusForbidden || ref.Type != "AccessDeniedException" || !strings.Contains(ref.Message, "this key's is "+string(role)+")") || !strings.Contains(ref.Message, "AKIDOPS") {
			t.Errorf("%s: %d %+v", role, code, ref)
		}
	}
	if code, ref, rep := s.post(t, admin(accountA), strings.NewReader(body)); code != http.StatusOK || len(rep.Activities) != 1 {
		t.Errorf("admin: %d %+v", code, ref)
	}
	r := httptest.NewRequest(http.MethodGet, Path, nil).WithContext(auth.WithPrincipal(context.Background(), admin(accountA)))
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
	if _, err := client(s.t.API, accountA, "us-east-1").DescribeActivity(context.Background(), &sfn.DescribeActivityInput{ActivityArn: aws.String("arn:aws:states:us-east-1:" + accountA + ":activity:a")}); err != nil {
		t.Errorf("the admin's activity: %v", err)
	}
}

// What a browser sends on a cross-origin request is refused; what the CLI
// sends is not.
func TestBrowsersRefused(t *testing.T) {
	s := newServer(t)
	body := `{"activities":[{"name":"a"}]}`
	for _, c := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"cli", nil, 200},
		{"json with charset", []string{"Content-Type", "application/json; charset=utf-8"}, 200},
		{"Sec-Fetch-Site none", []string{"Sec-Fetch-Site", "none"}, 200},
		{"Sec-Fetch-Site same-origin", []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"Origin", []string{"Origin", "https://evil.example"}, 403},
		{"Origin null", []string{"Origin", "null"}, 403},
		{"Origin of the server itself", []string{"Origin", "http://127.0.0.1:8083"}, 403},
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"text/plain", []string{"Content-Type", "text/plain"}, 415},
		{"text/plain with charset", []string{"Content-Type", "text/plain;charset=UTF-8"}, 415},
		{"form", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"multipart", []string{"Content-Type", "multipart/form-data; boundary=x"}, 415},
		{"no content type", []string{"Content-Type", ""}, 415},
		{"json with another charset", []string{"Content-Type", "application/json; charset=latin1"}, 415},
		{"amz json", []string{"Content-Type", "application/x-amz-json-1.0"}, 415},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, ref, _ := s.post(t, admin(accountA), strings.NewReader(body), c.headers...)
			if code != c.status {
				t.Fatalf("status %d (%s: %s), want %d", code, ref.Type, ref.Message, c.status)
			}
			if code == 403 && ref.Type != "AccessDeniedException" || code == 415 && ref.Type != "UnsupportedMediaTypeException" {
				t.Fatalf("refusal %+v", ref)
			}
		})
	}
}

// A body over MaxBody is refused: at once when its Content-Length says
// so, and at the limit when it is sent without one.
func TestBodyBounded(t *testing.T) {
	s := newServer(t)
	r := httptest.NewRequest(http.MethodPost, Path, &zeros{n: 1})
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = MaxBody + 1
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), admin(accountA))))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared length: %d %s", w.Code, w.Body)
	}
	endless := io.MultiReader(strings.NewReader(`{"account":"`), &zeros{n: MaxBody + 1}, strings.NewReader(`"}`))
	code, ref, _ := s.post(t, admin(accountA), endless)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: status %d %+v", code, ref)
	}
}

type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.n {
		n = z.n
	}
	for i := range p[:n] {
		p[i] = '0'
	}
	z.n -= n
	return int(n), nil
}

// hostile archives, written by hand.
func hostileTar(t *testing.T, hdrs ...*tar.Header) Archive {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = 1
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(make([]byte, h.Size)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tw.Close()
	zw.Close()
	return Archive{Format: archive.TarGz, Data: buf.Bytes()}
}

func hostileZip(t *testing.T, name string, mode fs.FileMode, body string) Archive {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	h.SetMode(mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(body))
	zw.Close()
	return Archive{Format: archive.Zip, Data: buf.Bytes()}
}

func TestHostileArchivesRefused(t *testing.T) {
	s := newServer(t)
	outside := filepath.Join(t.TempDir(), "outside")
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755} }
	for _, c := range []struct {
		name string
		a    Archive
		want string
	}{
		{"tar slip", hostileTar(t, reg("index.js"), reg("../../../../outside")), `functions.f.code: entry "../../../../outside": path leaves the directory`},
		{"tar absolute", hostileTar(t, reg(outside)), `entry "` + outside + `": absolute path`},
		{"tar backslash", hostileTar(t, reg(`..\..\outside`)), `name holds a backslash`},
		{"tar drive", hostileTar(t, reg(`C:\outside`)), `name holds a backslash`},
		{"tar symlink", hostileTar(t, &tar.Header{Name: "index.js", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), `entry "index.js": symbolic links are not accepted`},
		{"tar hard link", hostileTar(t, &tar.Header{Name: "index.js", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}), `entry "index.js": hard links are not accepted`},
		{"tar device", hostileTar(t, &tar.Header{Name: "mem", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 1}), `entry "mem": device files are not accepted`},
		{"tar fifo", hostileTar(t, &tar.Header{Name: "p", Typeflag: tar.TypeFifo}), `entry "p": FIFOs are not accepted`},
		{"zip slip", hostileZip(t, "../../outside", 0o644, "x"), `entry "../../outside": path leaves the directory`},
		{"zip drive", hostileZip(t, "C:/outside", 0o644, "x"), `entry "C:/outside": name holds a colon`},
		{"zip symlink", hostileZip(t, "index.js", fs.ModeSymlink|0o777, "/etc/passwd"), `entry "index.js": symbolic links are not accepted`},
		{"zip device", hostileZip(t, "null", fs.ModeDevice|fs.ModeCharDevice|0o666, ""), `entry "null": device files are not accepted`},
		{"not an archive", Archive{Format: archive.TarGz, Data: []byte("#!/bin/sh\nid\n")}, "not a gzip-compressed tar archive"},
		{"unknown format", Archive{Format: "rar", Data: []byte("x")}, `code.`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, ref, _ := s.deploy(t, admin(accountA), withCode(Function{Name: "f", Runtime: "provided.al2023"}, c.a))
			refusedWith(t, code, ref, c.want)
			if _, err := os.Lstat(outside); err == nil {
				t.Fatal("the archive wrote outside the data directory")
			}
			var files []string
			filepath.WalkDir(s.t.DataDir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, p)
				}
				return nil
			})
			if len(files) != 0 {
				t.Fatalf("a refused archive left %v", files)
			}
		})
	}
}

func TestOversizeArchivesRefused(t *testing.T) {
	s := newServer(t)
	t.Run("compressed", func(t *testing.T) {
		a := Archive{Format: archive.Zip, Data: make([]byte, archive.DefaultLimits.Compressed+1)}
		code, ref, _ := s.deploy(t, admin(accountA), withCode(Function{Name: "f", Runtime: "provided"}, a))
		refusedWith(t, code, ref, "code."+sum(a)+".data: 52428801 bytes, more than the 52428800 an archive may have")
	})
	t.Run("unpacked", func(t *testing.T) {
		// A file of 250 MB and one byte. Its header is enough: the
		// server refuses it before reading a byte of it, so the test
		// leaves the bytes out (package archive tests an archive whose
		// files really hold too much).
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "bootstrap", Typeflag: tar.TypeReg, Mode: 0o755, Size: archive.DefaultLimits.Unpacked + 1})
		tw.Flush()
		zw.Close()
		a := Archive{Format: archive.TarGz, Data: buf.Bytes()}
		code, ref, _ := s.deploy(t, admin(accountA), withCode(Function{Name: "f", Runtime: "provided"}, a))
		refusedWith(t, code, ref, "functions.f.code: the archive unpacks to more than the 262144000 bytes allowed")
	})
	t.Run("sha256 mismatch", func(t *testing.T) {
		a := packDir(t, nodeCode(t, "x"), archive.Zip)
		req := withCode(Function{Name: "f", Runtime: "nodejs20.x", Handler: "index.who"}, a)
		other := strings.Repeat("a", 64)
		req.Functions[0].Code, req.Code = other, map[string]Archive{other: a}
		code, ref, _ := s.deploy(t, admin(accountA), req)
		refusedWith(t, code, ref, "code."+other+".data: its SHA-256 is "+sum(a)+", not the key it is sent under")
	})
}

// Good archives, tar.gz and zip, deploy a Node.js function that then runs
// from the data directory, files 0600 in directories 0700.
func TestNodeFunctionFromAnArchive(t *testing.T) {
	needNode(t)
	s := newServer(t)
	for _, format := range []string{archive.TarGz, archive.Zip} {
		t.Run(format, func(t *testing.T) {
			a := packDir(t, nodeCode(t, format), format)
			name := "who" + strings.ReplaceAll(format, ".", "")
			rep := s.mustDeploy(t, admin(accountA), withCode(Function{Name: name, Runtime: "nodejs20.x", Handler: "index.who", Timeout: 30}, a))
			if len(rep.Functions) != 1 || rep.Functions[0] != name {
				t.Fatalf("report %+v", rep)
			}
			out := invokeWho(t, s, accountA, name)
			dir := filepath.Join(s.t.DataDir, "functions", accountA, name, sum(a))
			if out.Who != format || out.Root != dir || out.Arn != "arn:aws:lambda:us-east-1:"+accountA+":function:"+name {
				t.Fatalf("answer %+v, want the code from %s", out, dir)
			}
			for p, want := range map[string]fs.FileMode{
				filepath.Join(s.t.DataDir, "functions"):           fs.ModeDir | 0o700,
				filepath.Join(s.t.DataDir, "functions", accountA): fs.ModeDir | 0o700,
				dir:                            fs.ModeDir | 0o700,
				filepath.Join(dir, "index.js"): 0o600,
			} {
				if st, err := os.Stat(p); err != nil || st.Mode() != want {
					t.Errorf("%s: %v %v, want %v", p, st.Mode(), err, want)
				}
			}
		})
	}
}

// A go1.x function shipped as a prebuilt executable in the archive runs.
func TestGoFunctionFromAnArchive(t *testing.T) {
	code := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(code, "gofn"), ".")
	build.Dir = "../functions/testdata/gofn"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := newServer(t)
	a := packDir(t, code, archive.Zip)
	s.mustDeploy(t, admin(accountB), withCode(Function{Name: "gofn", Runtime: "go1.x", Handler: "gofn", Timeout: 30}, a))
	res, err := s.t.Functions.Invoke(context.Background(), accountB, "gofn", []byte(`{"name":"gopher"}`), functions.InvokeMeta{})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Greeting, FunctionARN string }
	if res.FunctionError != "" || json.Unmarshal(res.Payload, &out) != nil || out.Greeting != "hello gopher" ||
		out.FunctionARN != "arn:aws:lambda:us-east-1:"+accountB+":function:gofn" {
		t.Fatalf("%s %s %s", res.FunctionError, res.Payload, res.Logs)
	}
	if st, err := os.Stat(filepath.Join(s.t.DataDir, "functions", accountB, "gofn", sum(a), "gofn")); err != nil || st.Mode() != 0o700 {
		t.Fatalf("the executable: %v %v", st.Mode(), err)
	}
}

// Each admin deploys into its own account: its functions, state machines,
// activities and connections, in its own region when it signs for one.
// Account A's function is invisible to account B.
func TestDeployIntoThePrincipalsAccount(t *testing.T) {
	needNode(t)
	s := newServer(t)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	for _, acct := range []string{accountA, accountB} {
		req := withCode(Function{Name: "who", Runtime: "nodejs20.x", Handler: "index.who", Timeout: 30}, packDir(t, nodeCode(t, acct), archive.TarGz))
		req.StateMachines = []StateMachine{{Name: "m", Definition: def}}
		req.Activities = []Activity{{Name: "a"}}
		req.Connections = []Connection{{Name: "c", APIKey: &APIKey{Name: "x-api-key", Value: "k-" + acct}}}
		p := admin(acct)
		if acct == accountB {
			p.Region = "eu-west-1"
		}
		rep := s.mustDeploy(t, p, req)
		region := map[string]string{accountA: "us-east-1", accountB: "eu-west-1"}[acct]
		if rep.Created[0] != "arn:aws:states:"+region+":"+acct+":stateMachine:m" || rep.Activities[0] != "arn:aws:states:"+region+":"+acct+":activity:a" ||
			rep.Connections[0] != "arn:aws:events:"+region+":"+acct+":connection/c" {
			t.Fatalf("report %+v", rep)
		}
		if c, ok := s.t.Connections.Connection(rep.Connections[0]); !ok || c.APIKey.Value != "k-"+acct {
			t.Fatalf("connection %+v", c)
		}
		if sm, err := client(s.t.API, acct, region).DescribeStateMachine(context.Background(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(rep.Created[0])}); err != nil || aws.ToString(sm.RoleArn) != "arn:aws:iam::"+acct+":role/statecraft-m" {
			t.Fatalf("state machine %+v %v", sm, err)
		}
	}
	if out := invokeWho(t, s, accountA, "who"); out.Who != accountA {
		t.Errorf("account A's who answered %+v", out)
	}
	if out := invokeWho(t, s, accountB, "who"); out.Who != accountB || out.Arn != "arn:aws:lambda:eu-west-1:"+accountB+":function:who" {
		t.Errorf("account B's who answered %+v", out)
	}
	if _, err := s.t.Functions.Invoke(context.Background(), "333333333333", "who", nil, functions.InvokeMeta{}); !errors.Is(err, functions.ErrFunctionNotFound) {
		t.Errorf("a third account: %v", err)
	}
	// A project loaded for one account cannot be deployed with another's credentials.
	code, ref, _ := s.deploy(t, admin(accountB), &Request{Account: accountA, Activities: []Activity{{Name: "x"}}})
	refusedWith(t, code, ref, "account: the project was loaded for account "+accountA+", but the request's credentials are account "+accountB+"'s")
}

// Loader variables are refused unless the operator allows them by name.
func TestLoaderEnvironment(t *testing.T) {
	needNode(t)
	s := newServer(t, func(tg *Target) { tg.AllowEnv = []string{"NODE_OPTIONS"} })
	a := packDir(t, nodeCode(t, "env"), archive.TarGz)
	for _, c := range []struct {
		env  map[string]string
		want []string // problems; none: deployed
	}{
		{map[string]string{"EXTRA": "fine"}, nil},
		{map[string]string{"NODE_OPTIONS": "--max-old-space-size=200"}, nil},
		{map[string]string{"PERL5OPT": "-Mx", "LD_PRELOAD": "/tmp/x.so", "BASH_ENV": "/tmp/x", "LD_BIND_NOW": "1", "PATH": "/tmp"}, []string{
			"functions.f.environment.PERL5OPT: refused", "functions.f.environment.LD_PRELOAD: refused", "functions.f.environment.BASH_ENV: refused",
			"functions.f.environment.LD_BIND_NOW: refused", "functions.f.environment.PATH: refused", "--allow-function-env PATH",
		}},
		{map[string]string{"AWS_REGION": "x"}, []string{"functions.f: reserved or invalid environment variable names: AWS_REGION"}},
		{map[string]string{"BASH_FUNC_ls%%": "() { id; }"}, []string{`functions.f.environment."BASH_FUNC_ls%%": invalid environment variable name`}},
	} {
		f := Function{Name: "f", Runtime: "nodejs20.x", Handler: "index.who", Environment: c.env, Timeout: 30}
		code, ref, _ := s.deploy(t, admin(accountA), withCode(f, a))
		if c.want == nil {
			if code != http.StatusOK {
				t.Fatalf("%v: %d %v", c.env, code, ref.Problems)
			}
			continue
		}
		refusedWith(t, code, ref, c.want...)
	}
	if out := invokeWho(t, s, accountA, "f"); out.Extra != nil {
		t.Errorf("the last deployed f is the NODE_OPTIONS one; got EXTRA %q", *out.Extra)
	}
	for _, name := range []string{"NODE_OPTIONS", "NODE_PATH", "PERL5OPT", "PERL5LIB", "PERLLIB", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME",
		"RUBYOPT", "RUBYLIB", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "DYLD_ANYTHING", "BASH_ENV", "ENV",
		"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "GCONV_PATH", "PATH"} {
		if _, ok := LoaderEnv(name); !ok {
			t.Errorf("LoaderEnv(%s) is false", name)
		}
	}
	for _, name := range []string{"GREETING", "NODE_ENV", "LANG", "TABLE_NAME"} {
		if why, ok := LoaderEnv(name); ok {
			t.Errorf("LoaderEnv(%s): %s", name, why)
		}
	}
}

// New code replaces old; the old directory goes once its processes have
// ended, and the same code again reuses its directory.
func TestRedeployRemovesSupersededCode(t *testing.T) {
	needNode(t)
	s := newServer(t)
	first := packDir(t, nodeCode(t, "first"), archive.TarGz)
	second := packDir(t, nodeCode(t, "second"), archive.TarGz)
	f := Function{Name: "who", Runtime: "nodejs20.x", Handler: "index.who", Timeout: 30}
	dir := func(a Archive) string { return filepath.Join(s.t.DataDir, "functions", accountA, "who", sum(a)) }
	// Code left by an earlier run of the server is removed too.
	stale := filepath.Join(s.t.DataDir, "functions", accountA, "who", strings.Repeat("f", 64))
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}

	s.mustDeploy(t, admin(accountA), withCode(f, first))
	if out := invokeWho(t, s, accountA, "who"); out.Who != "first" {
		t.Fatalf("%+v", out)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale code: %v", err)
	}
	s.mustDeploy(t, admin(accountA), withCode(f, first))
	if out := invokeWho(t, s, accountA, "who"); out.Who != "first" {
		t.Fatalf("%+v", out)
	}
	s.mustDeploy(t, admin(accountA), withCode(f, second))
	if out := invokeWho(t, s, accountA, "who"); out.Who != "second" {
		t.Fatalf("%+v", out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := os.Stat(dir(first))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the superseded code is still there: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(dir(second)); err != nil {
		t.Fatalf("the current code: %v", err)
	}
	// Closing the host releases the code of the registrations it ends.
	s.t.Functions.Close()
	if _, err := os.Stat(filepath.Join(s.t.DataDir, "functions", accountA)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close: %v", err)
	}
}
