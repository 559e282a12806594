package harness_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

// syncBuffer is a console sink safe for the scenario's goroutines and the
// spec.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeScenario writes body as <dir>/<name>.yaml and loads it.
func writeScenario(dir, name, body string) *scenarios.Scenario {
	p := filepath.Join(dir, name+".yaml")
	Expect(os.WriteFile(p, []byte(body), 0o600)).To(Succeed())
	sc, err := scenarios.LoadFile(p)
	Expect(err).NotTo(HaveOccurred())
	return sc
}

var _ = Describe("the console's fault counter", func() {
	It("counts timer faults and keeps proxy faults past disarm, as the report's faults_injected does", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		sc := writeScenario(dir, "timer-count", `
name: timer-count
seed: 1
timeout: 30s
targets:
  api:
    kind: stub
    routes:
      - {method: GET, path: /v1/schema, json: {version: 3}}
workload:
  exec: ["sh", "-c", "curl -s -o /dev/null \"$GAMEDAY_API_URL/v1/schema\"; if [ \"$GAMEDAY_ATTEMPT\" = 0 ]; then exec sleep 30; fi"]
  restarts: 1
faults:
  - name: api-503
    target: api
    match: {method: GET, path: /v1/schema}
    action: {status: 503}
    times: 1
  - name: kill-worker
    target: workload
    action: {crash: {}}
    after: 300ms
`)
		var out syncBuffer
		res, err := harness.RunScenarios(ctx, []*scenarios.Scenario{sc}, harness.RunOptions{
			Backend: lifecycle.BackendProcess,
			Out:     filepath.Join(dir, "out"),
			Console: reports.NewConsole(&out, reports.ConsoleOptions{Verbose: true}), // every phase line

		})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Scenarios).To(HaveLen(1))
		Expect(res.Scenarios[0].Metrics.FaultsInjected).To(Equal(2), "%+v", res.Scenarios[0])
		Expect(out.String()).To(ContainSubstring("timer-count: teardown (faults 2,"))
	}, SpecTimeout(60*time.Second))
})
