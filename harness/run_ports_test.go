package harness_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/scenarios"
)

var _ = Describe("a proxy or alert receiver port taken after allocation", func() {
	It("is given up for a fresh port, and the scenario runs", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		sc := writeScenario(dir, "port-clash", `
name: port-clash
seed: 1
timeout: 30s
targets:
  api:
    kind: stub
    routes:
      - {method: GET, path: /v1/schema, json: {version: 3}}
workload:
  exec: ["sh", "-c", "echo \"api=$GAMEDAY_API_URL alert=$GAMEDAY_ALERT_URL\"; curl -sf \"$GAMEDAY_API_URL/v1/schema\""]
expect:
  outcome: success
`)
		// The first port of the receiver and of the proxy: a foreign
		// server takes it between the allocator's probe and the listen.
		var mu sync.Mutex
		calls := 0
		var taken []int
		hook := func(port int) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls != 1 && calls != 3 {
				return
			}
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(l.Close)
			taken = append(taken, port)
		}
		out := filepath.Join(dir, "out")
		res, err := harness.RunScenariosListenHook(ctx, []*scenarios.Scenario{sc}, harness.RunOptions{
			Backend: lifecycle.BackendProcess, Out: out,
		}, hook)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Scenarios).To(HaveLen(1))
		Expect(res.Scenarios[0].Error).To(BeEmpty())
		Expect(res.Scenarios[0].Passed).To(BeTrue(), "%+v", res.Scenarios[0].Expectations)
		Expect(taken).To(HaveLen(2))
		log, err := os.ReadFile(filepath.Join(out, "port-clash", "workload-run1-attempt0.log"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(log)).To(MatchRegexp(`api=http://127\.0\.0\.1:\d+ alert=http://127\.0\.0\.1:\d+`))
		for _, p := range taken {
			Expect(string(log)).NotTo(ContainSubstring(":"+strconv.Itoa(p)+"/"), "a URL on the taken port %d", p)
			Expect(string(log)).NotTo(MatchRegexp(`:`+strconv.Itoa(p)+`( |$)`), "a URL on the taken port %d", p)
		}
	}, SpecTimeout(60*time.Second))
})
