package injectors

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Entry is one line of the request journal: one JSON object per request the
// proxy handled, written when the request completes. The field names are
// the contract of DESIGN.md "The journal"; observe parses journals with this
// type. Every field is always present in the JSON (no omitempty), with its
// zero value when it does not apply.
type Entry struct {
	Seq            uint64    `json:"seq"`             // per proxy, from 1, in completion order
	Target         string    `json:"target"`          // the target behind the proxy
	Run            int       `json:"run"`             // run number (1..), set by the harness with SetRun
	Attempt        int       `json:"attempt"`         // restart attempt (0..), set with SetRun
	Start          time.Time `json:"start"`           // RFC 3339 nano; when the request arrived
	End            time.Time `json:"end"`             // RFC 3339 nano; when the proxy was done with it
	Method         string    `json:"method"`          //
	Path           string    `json:"path"`            // the escaped request path
	Query          string    `json:"query"`           // the raw query, redacted by RedactQuery
	OpHeader       string    `json:"op_header"`       // first present of amz-sdk-invocation-id, Idempotency-Key, X-Gameday-Operation
	OpKey          string    `json:"op_key"`          // see OpKey
	Range          string    `json:"range"`           // the Range request header
	Status         int       `json:"status"`          // status the client received; 0 when none arrived
	UpstreamStatus int       `json:"upstream_status"` // status the upstream answered; 0 when it was not asked or did not answer
	RetryAfterMS   int64     `json:"retry_after_ms"`  // Retry-After the client received, in ms; 0 when none
	Fault          string    `json:"fault"`           // name of the rule that fired, or ""
	Action         string    `json:"action"`          // that rule's action kind (status, delay, reset, ...), or ""
	Delivered      bool      `json:"delivered"`       // false when the client never got the (whole) response
	BytesIn        int64     `json:"bytes_in"`        // request body bytes read from the client
	BytesOut       int64     `json:"bytes_out"`       // response body bytes written to the client
	Error          string    `json:"error"`           // one of the Err* values, or ""
}

// Values of Entry.Error.
const (
	ErrReset        = "reset"         // an injected reset: the client connection got a TCP RST
	ErrHang         = "hang"          // held until the client or the proxy gave up
	ErrUpstreamDown = "upstream-down" // the upstream refused, reset or died mid-answer; the client was reset too
	ErrClientGone   = "client-gone"   // the client went away before the response was delivered
	ErrProxyClosed  = "proxy-closed"  // the proxy closed while the request was in flight
	ErrTruncated    = "truncated"     // the body was cut after the rule's byte count, then the connection closed
	ErrCrash        = "crash"         // a crash rule closed the connection unanswered
	// ErrBadRequestBody: the client's request body could not be read
	// (malformed chunked encoding, cut short); the proxy answered 400 and
	// closed the upstream connection that had half the request.
	ErrBadRequestBody = "bad-request-body"
	// ErrUpstreamHeadTooLarge: the upstream's status line and headers
	// passed MaxResponseHead; the proxy answered 502.
	ErrUpstreamHeadTooLarge = "upstream-header-too-large"
	// ErrUpstreamUpgrade: the upstream answered 101 Switching Protocols,
	// which the proxy never asks for; it answered 502.
	ErrUpstreamUpgrade = "upstream-upgrade"
	// ErrUpgradeRefused: the client asked to switch protocols (Connection:
	// upgrade, e.g. WebSocket); the proxy does not tunnel and answered 501
	// without asking the upstream.
	ErrUpgradeRefused = "upgrade-refused"
)

// opHeaders are the request headers that name an operation, in priority order.
var opHeaders = []string{"amz-sdk-invocation-id", "Idempotency-Key", "X-Gameday-Operation"}

// sensitiveParam reports whether a query parameter's value must be redacted.
func sensitiveParam(name string) bool {
	n := strings.ToLower(name)
	return n == "x-amz-signature" || n == "x-amz-credential" ||
		strings.Contains(n, "token") || strings.Contains(n, "secret") || strings.Contains(n, "signature")
}

// splitQuery splits a raw query into its "name=value" parts and decoded names.
func splitQuery(rawQuery string) (parts, names []string) {
	for _, p := range strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(p, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		parts = append(parts, p)
		names = append(names, name)
	}
	return parts, names
}

// RedactQuery returns rawQuery with the value of every sensitive parameter
// replaced by "***": X-Amz-Signature, X-Amz-Credential, and any parameter
// whose name contains "token", "secret" or "signature" (case-insensitive).
// Parameter order is kept.
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	parts, names := splitQuery(rawQuery)
	for i, p := range parts {
		if sensitiveParam(names[i]) {
			name, _, _ := strings.Cut(p, "=")
			parts[i] = name + "=***"
		}
	}
	return strings.Join(parts, "&")
}

// OpKey returns the operation key of a request: the method, the path, the
// query parameters sorted with every X-Amz-* parameter left out, and the
// Range header, as "METHOD path[?query][ range]". Requests of one operation
// that carry no operation header share it. The value of a sensitive
// parameter (one RedactQuery redacts) is replaced by "#" and the first 12
// hex digits of the SHA-256 of its decoded value, so that requests that
// differ only in, say, continuation-token get different keys while the raw
// value never reaches the journal.
func OpKey(method, path, rawQuery, rangeHeader string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(path)
	parts, names := splitQuery(rawQuery)
	kept := parts[:0]
	for i, p := range parts {
		if strings.HasPrefix(strings.ToLower(names[i]), "x-amz-") {
			continue
		}
		if sensitiveParam(names[i]) {
			name, value, _ := strings.Cut(p, "=")
			p = name + "=" + valueDigest(value)
		}
		kept = append(kept, p)
	}
	if len(kept) > 0 {
		sort.Strings(kept)
		b.WriteByte('?')
		b.WriteString(strings.Join(kept, "&"))
	}
	if rangeHeader != "" {
		b.WriteByte(' ')
		b.WriteString(rangeHeader)
	}
	return b.String()
}

// valueDigest returns "#" and the first 12 hex digits of the SHA-256 of a
// raw query value, decoded when it decodes.
func valueDigest(raw string) string {
	if dec, err := url.QueryUnescape(raw); err == nil {
		raw = dec
	}
	sum := sha256.Sum256([]byte(raw))
	return "#" + hex.EncodeToString(sum[:])[:12]
}

// ReadJournal decodes journal lines from r. It stops at the first line that
// is not an Entry and reports it with its line number.
func ReadJournal(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, fmt.Errorf("read journal line %d: %w", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read journal: %w", err)
	}
	return out, nil
}

// journal writes entries as JSON lines, each with one Write call as its
// request completes, unbuffered: a line is in the file as soon as the
// exchange ends, and nothing is lost when the process is killed. It is
// safe for concurrent use.
type journal struct {
	mu  sync.Mutex
	seq uint64
	w   io.Writer
	err error
}

func newJournal(w io.Writer) *journal { return &journal{w: w} }

// write assigns the next seq to e and appends it. A write error is kept and
// returned by flush; later writes are dropped.
func (j *journal) write(e *Entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if j.w == nil || j.err != nil {
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		j.err = fmt.Errorf("encode journal entry: %w", err)
		return
	}
	b = append(b, '\n')
	if _, err := j.w.Write(b); err != nil {
		j.err = fmt.Errorf("write journal: %w", err)
	}
}

// flush returns the first write error; lines are written as they come.
func (j *journal) flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}
