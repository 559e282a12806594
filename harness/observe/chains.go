package observe

import (
	"fmt"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
)

// Operations are retry chains on a resource (DESIGN "Operations, retries
// and recovery"). Within one process attempt (run, attempt) of one target,
// requests are taken in start order:
//
//   - A request continues the chain of its resource (its op_key) when the
//     previous request of that resource failed (no 2xx/3xx answer, or an
//     answer that did not arrive whole), or is still in flight.
//   - A request whose op_header belongs to an open chain continues that
//     chain even under another op_key (a Range resume, a multipart retry
//     with a new uploadId).
//   - A success closes its chain. A successful write (PUT, POST, DELETE,
//     PATCH) also closes the open chains of other methods on the same path:
//     the resource changed, so HEAD 404 → PUT 200 → HEAD is not a retry. A
//     successful read (GET, HEAD) closes nothing else: rclone HEADs before
//     every high-level try, and that must not hide its nesting.
//   - Requests to other resources, in parallel or not, never break a chain.
//
// Every other request starts a new chain.

// failed reports whether the client did not get a whole 2xx/3xx answer.
func failed(r Request) bool { return !ok(r) || r.Error != "" }

// writeMethod reports whether a success of method changes the resource.
func writeMethod(method string) bool {
	switch method {
	case "PUT", "POST", "DELETE", "PATCH":
		return true
	}
	return false
}

// opKeyOf is the request's op_key, computed when the journal has none.
func opKeyOf(r Request) string {
	if r.OpKey != "" {
		return r.OpKey
	}
	return injectors.OpKey(r.Method, r.Path, r.Query, r.Range)
}

type scopeID struct {
	target       string
	run, attempt int
}

// chain is an operation under construction.
type chain struct {
	op     *Operation
	closed bool
}

func (c *chain) last() Request { return c.op.Requests[len(c.op.Requests)-1] }

// open reports whether the chain continues with the next request of its
// resource that starts at t.
func (c *chain) open(t time.Time) bool {
	return !c.closed || c.last().End.After(t)
}

// scope links the requests of one (target, run, attempt) into chains.
type scope struct {
	byKey    map[string]*chain
	byHeader map[string]*chain
	all      []*chain
}

func newScope() *scope {
	return &scope{byKey: map[string]*chain{}, byHeader: map[string]*chain{}}
}

// add puts r into its chain and returns the chain's operation when r
// started a new one.
func (s *scope) add(r Request) *Operation {
	key := opKeyOf(r)
	var c *chain
	if r.OpHeader != "" {
		if h := s.byHeader[r.OpHeader]; h != nil && h.open(r.Start) {
			c = h
		}
	}
	if c == nil {
		if k := s.byKey[key]; k != nil && k.open(r.Start) {
			c = k
		}
	}
	var fresh *Operation
	if c == nil {
		fresh = &Operation{Target: r.Target, Run: r.Run, Attempt: r.Attempt, Key: key, Method: r.Method, Path: r.Path}
		c = &chain{op: fresh}
		s.all = append(s.all, c)
	}
	c.op.Requests = append(c.op.Requests, r)
	c.closed = !failed(r)
	s.byKey[key] = c
	if r.OpHeader != "" {
		s.byHeader[r.OpHeader] = c
	}
	if c.closed && writeMethod(r.Method) {
		for _, o := range s.all {
			if o != c && !o.closed && o.op.Path == r.Path && o.op.Method != r.Method {
				o.closed = true
			}
		}
	}
	return fresh
}

// Call is one distinct operation header of a chain (one SDK or client
// call), with the number of attempts the chain made under it. Requests
// without an operation header form a Call with an empty Header.
type Call struct {
	Header   string
	Attempts int
}

// Calls lists the chain's operation headers in order of first use.
func (o *Operation) Calls() []Call {
	var out []Call
	idx := map[string]int{}
	for _, r := range o.Requests {
		i, seen := idx[r.OpHeader]
		if !seen {
			i = len(out)
			idx[r.OpHeader] = i
			out = append(out, Call{Header: r.OpHeader})
		}
		out[i].Attempts++
	}
	return out
}

// Layering says how a chain's attempts were made.
type Layering int

// Layerings.
const (
	// OneCall: every attempt under one operation header (the client's own
	// retries), or a single attempt.
	OneCall Layering = iota
	// Unlabelled: no operation header at all; one call retrying or a loop
	// of calls cannot be told apart.
	Unlabelled
	// AppLoop: one attempt per call, several calls: an application-level
	// retry loop around a client that does not retry itself.
	AppLoop
	// Nested: several calls, some of several attempts: the application
	// retries calls that retry themselves.
	Nested
)

// Layering tells how the chain's attempts divide into calls.
func (o *Operation) Layering() Layering {
	calls := o.Calls()
	if len(calls) == 1 {
		if calls[0].Header == "" && calls[0].Attempts > 1 {
			return Unlabelled
		}
		return OneCall
	}
	for _, c := range calls {
		if c.Attempts > 1 {
			return Nested
		}
	}
	return AppLoop
}

// Layers describes the chain's attempts in words a user can act on, e.g.
// "5 attempts in 5 calls (an application-level retry loop)" or
// "25 attempts: 5 calls × 5 attempts (nested retries)".
func (o *Operation) Layers() string {
	n := len(o.Requests)
	calls := o.Calls()
	switch o.Layering() {
	case AppLoop:
		return fmt.Sprintf("%d attempts in %d calls (an application-level retry loop)", n, len(calls))
	case Nested:
		most, even := 0, true
		for _, c := range calls {
			if most != 0 && c.Attempts != most {
				even = false
			}
			most = max(most, c.Attempts)
		}
		if even {
			return fmt.Sprintf("%d attempts: %d calls × %d attempts (nested retries)", n, len(calls), most)
		}
		return fmt.Sprintf("%d attempts: %d calls × up to %d attempts (nested retries)", n, len(calls), most)
	case Unlabelled:
		return fmt.Sprintf("%d attempts (no operation header: one call or a loop)", n)
	}
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts in one call", n)
}

// Describe names the chain, its layers and its timeline: "PUT
// /models/r1/model.bin: 5 attempts in 5 calls (an application-level retry
// loop) at 0ms, 1.0s, 2.0s, 3.0s, 4.0s".
func (o *Operation) Describe() string {
	return fmt.Sprintf("%s: %s at %s", o, o.Layers(), o.offsets())
}

// maxShown is how many attempt offsets a timeline lists.
const maxShown = 12

func (o *Operation) offsets() string {
	if len(o.Requests) == 0 {
		return "-"
	}
	t0 := o.Requests[0].Start
	var parts []string
	for i, r := range o.Requests {
		if i == maxShown-1 && len(o.Requests) > maxShown {
			parts = append(parts, fmt.Sprintf("… %d more", len(o.Requests)-i))
			break
		}
		parts = append(parts, fmtOffset(r.Start.Sub(t0)))
	}
	return strings.Join(parts, ", ")
}

// fmtOffset shows d as "850ms" below a second, else "1.2s".
func fmtOffset(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
