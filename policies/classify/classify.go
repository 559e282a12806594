// Package classify sorts errors into the classes of a policy: transient,
// throttled, permanent and unknown.
//
// The S3 error code (minio-go's ErrorResponse) is checked first, then the
// HTTP status, then the kind of network error (timeout, reset, refused,
// eof). So a 503 SlowDown is throttled and a bare 503 is transient:
//
//	c := classify.New(p.Classify)
//	switch c.Classify(err) { case policies.ClassPermanent: ... }
package classify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/failsafe-go/failsafe-go/timeout"
	"github.com/minio/minio-go/v7"

	"github.com/gameday/gameday/policies"
)

// StatusError is an HTTP answer outside 2xx/3xx from a plain HTTP API. S3
// calls return minio.ErrorResponse instead; both are classified alike.
type StatusError struct {
	Method, URL string
	StatusCode  int
	// Code is a machine-readable error code from the body, if any.
	Code string
	// RetryAfter is the raw Retry-After header, if any.
	RetryAfter string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += " " + e.Code
	}
	return s
}

// Classifier classifies errors with one policy's table. It is safe for
// concurrent use.
type Classifier struct {
	table policies.Classify
}

// New returns a Classifier for table. Classes left nil in table match
// nothing (Load fills them from policies.DefaultClassify).
func New(table policies.Classify) *Classifier { return &Classifier{table: table} }

// Classify returns the class of err: "" for nil, else transient,
// throttled, permanent or unknown.
func (c *Classifier) Classify(err error) policies.Class {
	if err == nil {
		return ""
	}
	order := []struct {
		class policies.Class
		m     *policies.ClassMatch
	}{
		{policies.ClassPermanent, c.table.Permanent},
		{policies.ClassThrottled, c.table.Throttled},
		{policies.ClassTransient, c.table.Transient},
	}
	code, status := Status(err)
	if code != "" {
		for _, o := range order {
			if o.m != nil && slices.Contains(o.m.S3Codes, code) {
				return o.class
			}
		}
	}
	if status != 0 {
		for _, o := range order {
			if o.m != nil && slices.Contains(o.m.Status, status) {
				return o.class
			}
		}
		return policies.ClassUnknown
	}
	if kind := Kind(err); kind != "" {
		for _, o := range order {
			if o.m != nil && slices.Contains(o.m.Errors, kind) {
				return o.class
			}
		}
	}
	return policies.ClassUnknown
}

// Status returns the S3 error code and HTTP status carried by err, if any.
func Status(err error) (code string, status int) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code, se.StatusCode
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) && (er.StatusCode != 0 || er.Code != "") {
		return er.Code, er.StatusCode
	}
	var erp *minio.ErrorResponse
	if errors.As(err, &erp) && erp != nil && (erp.StatusCode != 0 || erp.Code != "") {
		return erp.Code, erp.StatusCode
	}
	return "", 0
}

// Kind returns the network error kind of err: timeout, reset, refused, eof,
// or "" when it is none of them.
func Kind(err error) policies.ErrorKind {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return policies.ErrReset
	case errors.Is(err, syscall.ECONNREFUSED):
		return policies.ErrRefused
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return policies.ErrEOF
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, timeout.ErrExceeded):
		return policies.ErrTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return policies.ErrTimeout
	}
	// Some transports only say it in words (e.g. minio-go flattening an
	// error into its message, or http2).
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "broken pipe"):
		return policies.ErrReset
	case strings.Contains(msg, "connection refused"):
		return policies.ErrRefused
	case strings.HasSuffix(msg, "eof"), strings.Contains(msg, "unexpected eof"), strings.Contains(msg, "server closed"):
		return policies.ErrEOF
	case strings.Contains(msg, "timeout"), strings.Contains(msg, "deadline exceeded"):
		return policies.ErrTimeout
	}
	return ""
}

// Describe returns err's text for a log line, with the HTTP status and S3
// code in front when err carries them and its text does not: minio-go's
// errors say only "Please reduce your request rate.", Describe says
// "503 SlowDown: Please reduce your request rate.".
func Describe(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	code, status := Status(err)
	var se *StatusError
	if status == 0 || errors.As(err, &se) {
		return msg
	}
	prefix := strconv.Itoa(status)
	if code != "" {
		prefix += " " + code
	}
	if strings.Contains(msg, prefix) {
		return msg
	}
	return prefix + ": " + msg
}
