package injectors

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind is the protocol of the upstream, which decides how an injected
// status looks.
type Kind string

// Values of Kind. The zero value means KindJSON.
const (
	KindS3   Kind = "s3"   // S3 XML <Error> bodies and x-amz-request-id, as MinIO answers
	KindJSON Kind = "json" // a JSON error object, as gameday stubs answer
)

// DefaultS3Code returns the S3 error code an injected status carries when
// the rule names none: 503 ServiceUnavailable, 500 InternalError, 429
// SlowDown, 403 AccessDenied, 401 InvalidAccessKeyId, and a fitting code
// for other statuses.
func DefaultS3Code(status int) string {
	switch status {
	case 503:
		return "ServiceUnavailable"
	case 500:
		return "InternalError"
	case 429:
		return "SlowDown"
	case 403:
		return "AccessDenied"
	case 401:
		return "InvalidAccessKeyId"
	case 400:
		return "BadRequest"
	case 404:
		return "NoSuchKey"
	case 405:
		return "MethodNotAllowed"
	case 409:
		return "OperationAborted"
	case 412:
		return "PreconditionFailed"
	case 416:
		return "InvalidRange"
	case 501:
		return "NotImplemented"
	case 408:
		return "RequestTimeout"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

// s3Messages are the messages S3 and MinIO send with the common codes.
var s3Messages = map[string]string{
	"ServiceUnavailable": "Please reduce your request rate.",
	"SlowDown":           "Please reduce your request rate.",
	"InternalError":      "We encountered an internal error, please try again.",
	"AccessDenied":       "Access Denied.",
	"InvalidAccessKeyId": "The Access Key Id you provided does not exist in our records.",
	"NoSuchKey":          "The specified key does not exist.",
	"RequestTimeout":     "Your socket connection to the server was not read from or written to within the timeout period.",
}

// s3Error is the body of an S3 error answer.
type s3Error struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	Key        string   `xml:"Key,omitempty"`
	BucketName string   `xml:"BucketName,omitempty"`
	Resource   string   `xml:"Resource"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
}

// jsonError is the body of a stub error answer.
type jsonError struct {
	Error   string `json:"error"`
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// requestID makes an S3-style request id (16 upper-case hex digits, time
// based as MinIO's are).
func requestID(now time.Time) string {
	return strings.ToUpper(strconv.FormatInt(now.UnixNano(), 16))
}

// errorAnswer builds the headers and body of an injected status for req.
func errorAnswer(kind Kind, st *Status, req *http.Request, now time.Time) (http.Header, []byte) {
	h := http.Header{}
	var body []byte
	switch kind {
	case KindS3:
		code := st.S3Code
		if code == "" {
			code = DefaultS3Code(st.Code)
		}
		msg := s3Messages[code]
		if msg == "" {
			msg = http.StatusText(st.Code)
		}
		id := requestID(now)
		e := s3Error{Code: code, Message: msg, Resource: req.URL.Path, RequestID: id,
			HostID: "dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8"}
		if b, k, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/"); b != "" {
			e.BucketName = b
			if ok {
				e.Key = k
			}
		}
		out, _ := xml.Marshal(e)
		body = append([]byte(xml.Header), out...)
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", id)
		h.Set("X-Amz-Id-2", e.HostID)
		h.Set("Accept-Ranges", "bytes")
		h.Set("Server", "MinIO")
		h.Set("Vary", "Origin")
		if req.Method == http.MethodHead {
			// HEAD answers carry no body; MinIO puts the code in headers.
			h.Set("X-Minio-Error-Code", code)
			h.Set("X-Minio-Error-Desc", strconv.Quote(msg))
		}
	default:
		out, _ := json.Marshal(jsonError{Error: strings.ToLower(strings.ReplaceAll(http.StatusText(st.Code), " ", "_")), Status: st.Code, Message: http.StatusText(st.Code)})
		body = append(out, '\n')
		h.Set("Content-Type", "application/json")
	}
	if st.Body != "" {
		body = []byte(st.Body)
	}
	switch {
	case st.RetryAfter != nil && !st.RetryAfter.Date.IsZero():
		h.Set("Retry-After", st.RetryAfter.HeaderValue())
	case st.RetryAfter != nil && st.RetryAfter.Delay > 0:
		secs := int64((st.RetryAfter.Delay + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	for k, v := range st.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	return h, body
}

// retryAfterMS parses a Retry-After value (seconds or HTTP-date) to
// milliseconds from now; 0 when absent or unparsable.
func retryAfterMS(v string, now time.Time) int64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return n * 1000
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Milliseconds()
		}
	}
	return 0
}
