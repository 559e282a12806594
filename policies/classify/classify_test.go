package classify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"

	"github.com/failsafe-go/failsafe-go/timeout"
	"github.com/minio/minio-go/v7"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/classify"
)

func s3err(status int, code string) error {
	return minio.ErrorResponse{StatusCode: status, Code: code, Message: "m"}
}

func urlErr(err error) error {
	return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: err}
}

func opErr(errno syscall.Errno) error {
	return urlErr(&net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: errno}})
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ = Describe("Classifier with the default table", func() {
	c := classify.New(policies.DefaultClassify())

	DescribeTable("classifies", func(err error, want policies.Class) {
		Expect(c.Classify(err)).To(Equal(want))
	},
		Entry("nil is no class", nil, policies.Class("")),
		// S3 codes first
		Entry("503 SlowDown is throttled (code before status)", s3err(503, "SlowDown"), policies.ClassThrottled),
		Entry("503 ServiceUnavailable is transient", s3err(503, "ServiceUnavailable"), policies.ClassTransient),
		Entry("500 InternalError is transient", s3err(500, "InternalError"), policies.ClassTransient),
		Entry("400 RequestTimeout is transient (code wins)", s3err(400, "RequestTimeout"), policies.ClassTransient),
		Entry("403 AccessDenied is permanent", s3err(403, "AccessDenied"), policies.ClassPermanent),
		Entry("403 InvalidAccessKeyId is permanent", s3err(403, "InvalidAccessKeyId"), policies.ClassPermanent),
		Entry("403 SignatureDoesNotMatch is permanent", s3err(403, "SignatureDoesNotMatch"), policies.ClassPermanent),
		Entry("404 NoSuchKey is permanent", s3err(404, "NoSuchKey"), policies.ClassPermanent),
		Entry("404 NoSuchBucket is permanent", s3err(404, "NoSuchBucket"), policies.ClassPermanent),
		Entry("503 Throttling is throttled", s3err(503, "Throttling"), policies.ClassThrottled),
		Entry("wrapped S3 error", fmt.Errorf("get x: %w", s3err(503, "SlowDown")), policies.ClassThrottled),
		Entry("pointer S3 error", &minio.ErrorResponse{StatusCode: 401, Code: "Whatever"}, policies.ClassPermanent),
		// then the HTTP status
		Entry("bare 503 is transient", s3err(503, ""), policies.ClassTransient),
		Entry("unknown code with 502 falls back to status", s3err(502, "BadGatewayish"), policies.ClassTransient),
		Entry("504 is transient", &classify.StatusError{StatusCode: 504}, policies.ClassTransient),
		Entry("429 is throttled", &classify.StatusError{StatusCode: 429}, policies.ClassThrottled),
		Entry("400 is permanent", &classify.StatusError{StatusCode: 400}, policies.ClassPermanent),
		Entry("401 is permanent", &classify.StatusError{StatusCode: 401}, policies.ClassPermanent),
		Entry("403 is permanent", &classify.StatusError{StatusCode: 403}, policies.ClassPermanent),
		Entry("404 is permanent", &classify.StatusError{StatusCode: 404}, policies.ClassPermanent),
		Entry("409 is unknown", &classify.StatusError{StatusCode: 409}, policies.ClassUnknown),
		Entry("412 is unknown", s3err(412, "PreconditionFailed"), policies.ClassUnknown),
		// then the network error kind
		Entry("connection reset is transient", opErr(syscall.ECONNRESET), policies.ClassTransient),
		Entry("broken pipe is transient (reset)", opErr(syscall.EPIPE), policies.ClassTransient),
		Entry("connection refused is transient", opErr(syscall.ECONNREFUSED), policies.ClassTransient),
		Entry("EOF is transient", urlErr(io.EOF), policies.ClassTransient),
		Entry("unexpected EOF is transient", urlErr(io.ErrUnexpectedEOF), policies.ClassTransient),
		Entry("deadline exceeded is transient (timeout)", urlErr(context.DeadlineExceeded), policies.ClassTransient),
		Entry("a net.Error timeout is transient", urlErr(timeoutErr{}), policies.ClassTransient),
		Entry("failsafe's attempt timeout is transient", timeout.ErrExceeded, policies.ClassTransient),
		Entry("a reset only said in words", errors.New("read tcp: connection reset by peer"), policies.ClassTransient),
		Entry("anything else is unknown", errors.New("disk on fire"), policies.ClassUnknown),
		Entry("context canceled is unknown", context.Canceled, policies.ClassUnknown),
	)

	It("classifies a real refused connection", func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		Expect(l.Close()).To(Succeed())
		_, err = http.Get("http://" + addr + "/")
		Expect(err).To(HaveOccurred())
		Expect(classify.Kind(err)).To(Equal(policies.ErrRefused))
		Expect(c.Classify(err)).To(Equal(policies.ClassTransient))
	})

	It("classifies a real reset and a real EOF", func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(l.Close)
		go func() {
			for i := 0; ; i++ {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				buf := make([]byte, 1024)
				_, _ = conn.Read(buf)
				if i == 0 {
					conn.(*net.TCPConn).SetLinger(0) // RST
				}
				conn.Close()
			}
		}()
		tr := &http.Transport{DisableKeepAlives: true}
		_, err = (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/")
		Expect(err).To(HaveOccurred())
		Expect(classify.Kind(err)).To(BeElementOf(policies.ErrReset, policies.ErrEOF))
		_, err = (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/")
		Expect(err).To(HaveOccurred())
		Expect(classify.Kind(err)).To(Equal(policies.ErrEOF))
	})
})

var _ = Describe("Classifier with a custom table", func() {
	It("follows the table: 409 permanent, 503 permanent, resets unknown", func() {
		c := classify.New(policies.Classify{
			Permanent: &policies.ClassMatch{Status: []int{409, 503}},
			Transient: &policies.ClassMatch{Errors: []policies.ErrorKind{policies.ErrTimeout}},
		})
		Expect(c.Classify(&classify.StatusError{StatusCode: 409})).To(Equal(policies.ClassPermanent))
		Expect(c.Classify(s3err(503, "SlowDown"))).To(Equal(policies.ClassPermanent))
		Expect(c.Classify(opErr(syscall.ECONNRESET))).To(Equal(policies.ClassUnknown))
		Expect(c.Classify(urlErr(context.DeadlineExceeded))).To(Equal(policies.ClassTransient))
	})

	It("checks permanent before throttled before transient when a table overlaps", func() {
		c := classify.New(policies.Classify{
			Transient: &policies.ClassMatch{Status: []int{503}},
			Permanent: &policies.ClassMatch{Status: []int{503}},
		})
		Expect(c.Classify(&classify.StatusError{StatusCode: 503})).To(Equal(policies.ClassPermanent))
	})
})

var _ = Describe("StatusError", func() {
	It("says method, URL, status and code", func() {
		err := &classify.StatusError{Method: "GET", URL: "http://127.0.0.1:1/v1/schema", StatusCode: 503, Code: "busy"}
		Expect(err.Error()).To(Equal("GET http://127.0.0.1:1/v1/schema: 503 Service Unavailable busy"))
	})
})
