package observe_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/observe"
)

// call is a request carrying an operation header, lasting 2 ms.
func call(hdr, method, path string, ms, status int) observe.Request {
	r := req("s3", 1, 0, method, path, ms, status)
	r.OpHeader = hdr
	return r
}

func chains(j ...observe.Request) []*observe.Operation {
	return observe.Observe(observe.Input{Journal: j}).Operations
}

var _ = Describe("Retry chains", func() {
	It("links an application loop's fresh SDK calls on one resource into one chain", func() {
		var j []observe.Request
		for i := range 5 {
			j = append(j, call(fmt.Sprintf("inv-%d", i), "PUT", "/models/r1/model.bin", i*1000, 401))
		}
		ops := chains(j...)
		Expect(ops).To(HaveLen(1))
		op := ops[0]
		Expect(op.Attempts()).To(Equal(5))
		Expect(op.Retries).To(HaveLen(4))
		Expect(op.Retries[0].After).To(Equal(401))
		Expect(op.Layering()).To(Equal(observe.AppLoop))
		Expect(op.Describe()).To(Equal("PUT /models/r1/model.bin: 5 attempts in 5 calls (an application-level retry loop) at 0ms, 1.0s, 2.0s, 3.0s, 4.0s"))
	})

	It("tells nested retries (calls × SDK attempts) apart", func() {
		var j []observe.Request
		t := 0
		for c := range 5 {
			for range 5 {
				j = append(j, call(fmt.Sprintf("inv-%d", c), "PUT", "/models/x", t, 503))
				t += 100
			}
		}
		ops := chains(j...)
		Expect(ops).To(HaveLen(1))
		Expect(ops[0].Layering()).To(Equal(observe.Nested))
		Expect(ops[0].Layers()).To(Equal("25 attempts: 5 calls × 5 attempts (nested retries)"))
		Expect(ops[0].Describe()).To(HaveSuffix(", 1.0s, … 14 more"))
	})

	It("calls one header with several attempts the client's own retries", func() {
		ops := chains(call("a", "GET", "/k", 0, 503), call("a", "GET", "/k", 50, 503), call("a", "GET", "/k", 150, 200))
		Expect(ops).To(HaveLen(1))
		Expect(ops[0].Layers()).To(Equal("3 attempts in one call"))
	})

	It("does not take HEAD 404 → PUT 200 → HEAD for a retry: the write changed the resource", func() {
		ops := chains(
			call("a", "HEAD", "/b/k", 0, 404),
			call("b", "PUT", "/b/k", 10, 200),
			call("c", "HEAD", "/b/k", 20, 200),
		)
		Expect(ops).To(HaveLen(3))
		for _, op := range ops {
			Expect(op.Retries).To(BeEmpty())
		}
	})

	It("counts polling after a 404 as retries after 404, and a successful read closes nothing else", func() {
		ops := chains(
			call("p1", "PUT", "/b/k", 0, 503),
			call("h1", "HEAD", "/b/k", 10, 404), // rclone HEADs before each high-level try
			call("g1", "GET", "/b/k", 20, 200),  // a successful read of the path
			call("p2", "PUT", "/b/k", 30, 503),
			call("h2", "HEAD", "/b/k", 40, 404),
		)
		Expect(ops).To(HaveLen(3))
		put, head := ops[0], ops[1]
		Expect(put.Method).To(Equal("PUT"))
		Expect(put.Attempts()).To(Equal(2)) // the GET 200 did not close the PUT chain
		Expect(put.Layering()).To(Equal(observe.AppLoop))
		Expect(head.Attempts()).To(Equal(2))
		Expect(head.Retries[0].After).To(Equal(404))
		// A success closes the chain: the next 404 starts one of its own.
		Expect(chains(call("h1", "HEAD", "/b/k", 0, 404), call("h2", "HEAD", "/b/k", 20, 200), call("h3", "HEAD", "/b/k", 40, 404))).To(HaveLen(2))
	})

	It("keeps parallel downloads apart while one is retried", func() {
		ops := chains(
			call("a1", "GET", "/f/a", 0, 503),
			call("b1", "GET", "/f/b", 1, 200),
			call("a1", "GET", "/f/a", 30, 503),
			call("b2", "GET", "/f/b", 31, 200),
			call("a1", "GET", "/f/a", 90, 200),
		)
		Expect(ops).To(HaveLen(3))
		Expect(ops[0].Attempts()).To(Equal(3))
		Expect(ops[1].Attempts()).To(Equal(1))
		Expect(ops[2].Attempts()).To(Equal(1))
	})

	It("links requests that share an operation header under another op_key (a Range resume)", func() {
		a := call("inv", "GET", "/f/big", 0, 200)
		a.Error = "truncated" // the 200 did not arrive whole
		b := call("inv", "GET", "/f/big", 50, 206)
		b.Range = "bytes=1000-"
		ops := chains(a, b)
		Expect(ops).To(HaveLen(1))
		Expect(ops[0].Retries).To(HaveLen(1))
	})

	It("puts two requests of one resource in flight at once into one chain, in start order", func() {
		a := call("x", "GET", "/k", 0, 200)
		a.End = at(100)
		ops := chains(a, call("y", "GET", "/k", 10, 200))
		Expect(ops).To(HaveLen(1))
		Expect(ops[0].Attempts()).To(Equal(2))
		Expect(ops[0].Retries).To(BeEmpty()) // the first did not fail: no retry
	})

	It("starts a new chain in every process attempt", func() {
		a := req("s3", 1, 0, "PUT", "/m", 0, 0)
		a.Error = "reset"
		ops := chains(a, req("s3", 1, 1, "PUT", "/m", 500, 200))
		Expect(ops).To(HaveLen(2))
	})
})
