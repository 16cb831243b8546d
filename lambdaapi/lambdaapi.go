// Package lambdaapi serves the Lambda Invoke API for local functions
// (POST /2015-03-31/functions/{name}/invocations), so `aws lambda invoke
// --endpoint-url` and the AWS SDKs can call them. Only Invoke is served;
// functions are declared in the project file, not created through the API.
//
// A caller invokes the functions of its own account: the account of the
// auth.Principal in the request's context, or, for a request that carries
// none, the host's account. A function ARN naming another account is
// refused with AccessDeniedException, as Lambda refuses it without a
// resource-based policy.
package lambdaapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/statecraft/statecraft/functions"
)

// Prefix is the path prefix this handler serves.
const Prefix = "/2015-03-31/functions/"

// maxRequest is Lambda's synchronous invocation payload limit.
const maxRequest = 6 * 1024 * 1024

// Handler serves Invoke for the functions of h.
func Handler(h *functions.Host, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return &handler{h: h, log: log}
}

type handler struct {
	h   *functions.Host
	log *slog.Logger
}

// lambdaError writes Lambda's error shape: the SDKs read x-amzn-ErrorType.
func lambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func (a *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	name, tail, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodPost || tail != "invocations" || name == "" {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Only Invoke (POST /2015-03-31/functions/{name}/invocations) is served")
		return
	}
	p, ok := authorize(w, r, name)
	if !ok {
		return
	}
	// A function may run up to Lambda's 15 minutes: the server's write
	// timeout must not cut its answer off.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(16 * time.Minute))
	account := p.Account
	ref := name
	named := ""
	if i := strings.Index(name, "function:"); i >= 0 {
		// A full ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME) or a
		// partial one (ACCOUNT:function:NAME).
		prefix := strings.TrimSuffix(name[:i], ":")
		named = prefix[strings.LastIndex(prefix, ":")+1:]
		name = name[i+len("function:"):]
	}
	name, _, _ = strings.Cut(name, ":") // qualifier: only $LATEST exists locally
	if named != "" && named != account {
		lambdaError(w, http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: lambda:InvokeFunction on resource: "+ref+
			" because no resource-based policy allows the lambda:InvokeFunction action (the function belongs to another account than the caller's)")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	if len(body) > maxRequest {
		lambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "", "RequestResponse":
	case "Event":
		go func() {
			if _, err := a.h.Invoke(context.Background(), account, name, body, functions.InvokeMeta{}); err != nil {
				a.log.Warn("asynchronous invocation", "function", name, "err", err)
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "Invalid invocation type")
		return
	}
	res, err := a.h.Invoke(r.Context(), account, name, body, functions.InvokeMeta{ClientContext: decodeClientContext(r.Header.Get("X-Amz-Client-Context"))})
	switch {
	case errors.Is(err, functions.ErrFunctionNotFound):
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	case errors.Is(err, functions.ErrInvalidRequestContent):
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	case err != nil:
		lambdaError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if res.FunctionError != "" {
		w.Header().Set("X-Amz-Function-Error", res.FunctionError)
	}
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		logs := res.Logs
		if len(logs) > 4096 {
			logs = logs[len(logs)-4096:]
		}
		w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(logs)))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}

func decodeClientContext(h string) string {
	if h == "" {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	return string(b)
}
