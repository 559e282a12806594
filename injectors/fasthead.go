package injectors

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// headEnd returns the length of the head at the start of b (through the
// empty line), 0 when b holds no whole head, -1 when a line ends in a bare
// LF (which only http.Server's parser takes).
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0
		}
		j += i
		if j == 0 || b[j-1] != '\r' {
			return -1
		}
		if j == i+1 { // "\r\n": the empty line
			return j + 1
		}
		i = j + 1
	}
}

// eachLine calls fn with every line of a head after the first, without
// its CRLF; it stops at the empty line or when fn returns false, and
// reports whether fn never did.
func eachLine(head []byte, fn func(line []byte) bool) bool {
	i := bytes.IndexByte(head, '\n') + 1
	for i < len(head) {
		j := i + bytes.IndexByte(head[i:], '\n')
		line := head[i : j-1]
		if len(line) == 0 {
			return true
		}
		if !fn(line) {
			return false
		}
		i = j + 1
	}
	return true
}

// eachField calls fn with the lower-cased name and the value of every
// field of a head (see field); false when a line is one net/http's parser
// would treat apart, or fn returned false.
func eachField(head []byte, fn func(name string, value []byte) bool) bool {
	var buf [32]byte
	return eachLine(head, func(line []byte) bool {
		name, value, ok := field(line, &buf)
		return ok && fn(name, value)
	})
}

// field splits a header line into its lower-cased name (into buf) and its
// value trimmed of blanks; ok is false for a line net/http's parser would
// treat apart (folded, a bad name, a control byte in the value).
func field(line []byte, buf *[32]byte) (name string, value []byte, ok bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return "", nil, false
	}
	n := 0
	for _, c := range line[:colon] {
		if !isTokenByte(c) {
			return "", nil, false
		}
		if n < len(buf) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[n] = c
		}
		n++
	}
	value = line[colon+1:]
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return "", nil, false
		}
	}
	if n > len(buf) {
		return "", trimBlanks(value), true // longer than any name we look at
	}
	return string(buf[:n]), trimBlanks(value), true
}

func trimBlanks(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// methodName returns method as a string, without allocating for the
// common ones; "" when it is not a token or is CONNECT.
func methodName(b []byte) string {
	switch string(b) {
	case "GET":
		return http.MethodGet
	case "HEAD":
		return http.MethodHead
	case "PUT":
		return http.MethodPut
	case "POST":
		return http.MethodPost
	case "DELETE":
		return http.MethodDelete
	case "OPTIONS":
		return http.MethodOptions
	case "PATCH":
		return http.MethodPatch
	case "CONNECT", "":
		return ""
	}
	for _, c := range b {
		if !isTokenByte(c) {
			return ""
		}
	}
	return string(b)
}

// parseFastHead reads a request head into q; false when the request is
// not one for the fast path.
func parseFastHead(head []byte, q *fastReq) bool {
	line := head[:bytes.IndexByte(head, '\n')-1]
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return false
	}
	q.method = methodName(line[:sp])
	rest := line[sp+1:]
	target, ok := bytes.CutSuffix(rest, []byte(" HTTP/1.1"))
	if q.method == "" || !ok || len(target) == 0 || target[0] != '/' {
		return false
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	u, err := url.ParseRequestURI(string(target))
	if err != nil {
		return false
	}
	q.url = u
	hosts := 0
	return eachField(head, func(name string, value []byte) bool {
		switch name {
		case "host":
			hosts++
			q.host = value
			return len(value) > 0 && validHost(value)
		case "content-length":
			return string(value) == "0"
		case "transfer-encoding", "connection", "proxy-connection", "keep-alive",
			"proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade", "expect":
			return false
		case "range":
			if !q.hasRange {
				q.rangeH, q.hasRange = value, true
			}
		case "amz-sdk-invocation-id":
			if !q.hasSDK {
				q.sdkID, q.hasSDK = value, true
			}
		case "idempotency-key":
			if !q.hasIdem {
				q.idemKey, q.hasIdem = value, true
			}
		case "x-gameday-operation":
			if !q.hasOp {
				q.opID, q.hasOp = value, true
			}
		}
		return true
	}) && hosts == 1
}

// validHost accepts the Host values no parser would quarrel with.
func validHost(v []byte) bool {
	for _, c := range v {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_':
		default:
			return false
		}
	}
	return true
}

// peekResponseHead waits for a response head in br and returns it, still
// unread; simple is false when the head is not one the fast path passes
// on as it came (see respHead), or when it does not fit in br.
func peekResponseHead(br *bufio.Reader) (head []byte, simple bool, err error) {
	if _, err := br.Peek(1); err != nil {
		return nil, false, err
	}
	for {
		b, _ := br.Peek(br.Buffered())
		switch end := headEnd(b); {
		case end > 0:
			return b[:end], true, nil
		case end < 0 || len(b) == br.Size():
			return nil, false, nil
		}
		if _, err := br.Peek(len(b) + 1); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, false, nil
			}
			return nil, false, err
		}
	}
}

// contentLength parses a Content-Length value as net/http does: digits
// only (no sign), no overflow.
func contentLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// respHead is what deliverRaw reads from a response head.
type respHead struct {
	code      int
	length    int64 // -1: none
	upClose   bool  // Connection: close
	strip     bool  // has a Connection or Keep-Alive line to leave out
	hasDate   bool
	statusOK  bool // the reason phrase is net/http's for the code
	retryMS   int64
	retryText []byte
}

// readRespHead parses a response head; false when it is not one the fast
// path passes on as it came.
func readRespHead(head []byte, h *respHead) bool {
	line := head[:bytes.IndexByte(head, '\n')-1]
	rest, ok := bytes.CutPrefix(line, []byte("HTTP/1.1 "))
	if !ok || len(rest) < 3 {
		return false
	}
	code, err := strconv.Atoi(string(rest[:3]))
	if err != nil || code < 200 || code > 999 || len(rest) > 3 && rest[3] != ' ' {
		return false
	}
	h.code, h.length = code, -1
	reason := ""
	if len(rest) > 4 {
		reason = string(rest[4:])
	}
	h.statusOK = reason == http.StatusText(code) && reason != ""
	return eachField(head, func(name string, value []byte) bool {
		switch name {
		case "content-length":
			n, ok := contentLength(value)
			if !ok || h.length >= 0 {
				return false
			}
			h.length = n
		case "connection":
			switch {
			case bytes.EqualFold(value, []byte("close")):
				h.upClose = true
			case !bytes.EqualFold(value, []byte("keep-alive")):
				return false
			}
			h.strip = true
		case "keep-alive":
			h.strip = true
		case "transfer-encoding", "proxy-connection", "proxy-authenticate", "proxy-authorization",
			"te", "trailer", "upgrade":
			return false
		case "date":
			h.hasDate = true
		case "retry-after":
			if h.retryText == nil {
				h.retryText = value
			}
		}
		return true
	})
}

func writeStatusLine(w *bufio.Writer, code int) {
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	_, _ = w.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n")
}
