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
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
	// ErrClientBodyStalled: the client sent no byte of its request body
	// for Config.BodyIdleTimeout; the proxy answered 408 and closed the
	// upstream connection that had part of the request.
	ErrClientBodyStalled = "client-body-stalled"
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
// exchange ends, and nothing is lost when the process is killed. A line is
// encoded before the lock is taken (the lock covers the seq and the Write
// alone). It is safe for concurrent use.
type journal struct {
	mu  sync.Mutex
	seq uint64
	w   io.Writer
	err error
}

func newJournal(w io.Writer) *journal { return &journal{w: w} }

// seqRoom is the room left at the head of a line's buffer for `{"seq":N`,
// which is only known under the lock.
const seqRoom = len(`{"seq":`) + 20

// linePool holds line buffers; one that grew past 64 KiB (a huge query)
// is not kept.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// write assigns the next seq to e and appends its line. A write error is
// kept and returned by flush; later writes are dropped.
func (j *journal) write(e *Entry) {
	if j.w == nil {
		j.mu.Lock()
		j.seq++
		e.Seq = j.seq
		j.mu.Unlock()
		return
	}
	bp := linePool.Get().(*[]byte)
	b := append((*bp)[:0], make([]byte, seqRoom)...)
	b, encErr := e.appendFields(b)
	b = append(b, '\n')

	j.mu.Lock()
	j.seq++
	e.Seq = j.seq
	switch {
	case j.err != nil:
	case encErr != nil:
		j.err = fmt.Errorf("encode journal entry: %w", encErr)
	default:
		var head [seqRoom]byte
		h := strconv.AppendUint(append(head[:0], `{"seq":`...), e.Seq, 10)
		start := seqRoom - len(h)
		copy(b[start:], h)
		if _, err := j.w.Write(b[start:]); err != nil {
			j.err = fmt.Errorf("write journal: %w", err)
		}
	}
	j.mu.Unlock()

	if cap(b) <= 64<<10 {
		*bp = b
		linePool.Put(bp)
	}
}

// flush returns the first write error; lines are written as they come.
func (j *journal) flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// MarshalJSON encodes e as encoding/json would encode its fields (same
// names, order and escaping), without reflection: the proxy writes one per
// request.
func (e Entry) MarshalJSON() ([]byte, error) {
	b := strconv.AppendUint(append(make([]byte, 0, 512), `{"seq":`...), e.Seq, 10)
	return e.appendFields(b)
}

// appendFields appends the fields after seq and the closing brace.
func (e *Entry) appendFields(b []byte) ([]byte, error) {
	b = appendJSONString(append(b, `,"target":`...), e.Target)
	b = strconv.AppendInt(append(b, `,"run":`...), int64(e.Run), 10)
	b = strconv.AppendInt(append(b, `,"attempt":`...), int64(e.Attempt), 10)
	var err error
	if b, err = appendJSONTime(append(b, `,"start":`...), e.Start); err != nil {
		return b, err
	}
	if b, err = appendJSONTime(append(b, `,"end":`...), e.End); err != nil {
		return b, err
	}
	b = appendJSONString(append(b, `,"method":`...), e.Method)
	b = appendJSONString(append(b, `,"path":`...), e.Path)
	b = appendJSONString(append(b, `,"query":`...), e.Query)
	b = appendJSONString(append(b, `,"op_header":`...), e.OpHeader)
	b = appendJSONString(append(b, `,"op_key":`...), e.OpKey)
	b = appendJSONString(append(b, `,"range":`...), e.Range)
	b = strconv.AppendInt(append(b, `,"status":`...), int64(e.Status), 10)
	b = strconv.AppendInt(append(b, `,"upstream_status":`...), int64(e.UpstreamStatus), 10)
	b = strconv.AppendInt(append(b, `,"retry_after_ms":`...), e.RetryAfterMS, 10)
	b = appendJSONString(append(b, `,"fault":`...), e.Fault)
	b = appendJSONString(append(b, `,"action":`...), e.Action)
	b = strconv.AppendBool(append(b, `,"delivered":`...), e.Delivered)
	b = strconv.AppendInt(append(b, `,"bytes_in":`...), e.BytesIn, 10)
	b = strconv.AppendInt(append(b, `,"bytes_out":`...), e.BytesOut, 10)
	b = appendJSONString(append(b, `,"error":`...), e.Error)
	return append(b, '}'), nil
}

// appendJSONTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, quoted).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); t.Location() == time.UTC && y >= 0 && y <= 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	}
	m, err := t.MarshalJSON()
	return append(b, m...), err
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does: HTML-sensitive
// characters, control characters, U+2028 and U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
