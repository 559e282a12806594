package retry

import (
	"context"
	"net/http"
	"sync"
)

// OperationHeader is the request header that carries the id of the logical
// operation a request belongs to, constant across its attempts. The harness
// journal groups attempts by it (DESIGN.md, "The journal": op_header).
const OperationHeader = "X-Gameday-Operation"

type opKey struct{}

// operation is the per-operation state shared between the executor and
// the transport.
type operation struct {
	id string

	mu         sync.Mutex
	retryAfter string // Retry-After of the last response of this attempt
}

func (o *operation) setRetryAfter(v string) {
	o.mu.Lock()
	o.retryAfter = v
	o.mu.Unlock()
}

func (o *operation) takeRetryAfter() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.retryAfter
	o.retryAfter = ""
	return v
}

func withOperation(ctx context.Context, op *operation) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

func operationFrom(ctx context.Context) *operation {
	op, _ := ctx.Value(opKey{}).(*operation)
	return op
}

// OperationID returns the id of the operation ctx belongs to, or "" outside
// Executor.Do.
func OperationID(ctx context.Context) string {
	if op := operationFrom(ctx); op != nil {
		return op.id
	}
	return ""
}

// Transport is an http.RoundTripper that stamps every request made inside
// an Executor operation with the operation's id (header OperationHeader)
// and records each response's Retry-After for the executor. Requests made
// outside an operation pass unchanged. It is safe for concurrent use.
type Transport struct {
	// Base does the round trips. Nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	op := operationFrom(req.Context())
	if op == nil {
		return base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set(OperationHeader, op.id)
	resp, err := base.RoundTrip(r)
	if err == nil {
		op.setRetryAfter(resp.Header.Get("Retry-After"))
	}
	return resp, err
}
