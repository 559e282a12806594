// Package reliability holds the hardening suite: one Ginkgo spec per hostile
// input, network probe or process-lifecycle hazard that once broke gameday
// (secrets in outputs, unbounded inputs, proxy hangs, orphaned processes).
// Each spec drives the real gameday binary or package against real parts
// and asserts the bound that the fix guarantees. The package has no
// non-test code beyond this comment.
package reliability
