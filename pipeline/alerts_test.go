package pipeline_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("alerting at the end of a run (AfterRun → policies/alerting)", func() {
	It("sends the ci.yaml first-failure info alert to the Alertmanager receiver and pages no one", func() {
		ctx := context.Background()
		var mu sync.Mutex
		bodies := map[string][]string{}
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies[r.URL.Path] = append(bodies[r.URL.Path], string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
		}))
		DeferCleanup(recv.Close)

		f := newFixture(ctx, 1, 100)
		api := newFeatureAPI()
		api.mu.Lock()
		api.status["/v1/schema"] = http.StatusUnauthorized
		api.mu.Unlock()
		ci, err := filepath.Abs("../policies/ci.yaml")
		Expect(err).NotTo(HaveOccurred())
		env := pipelineEnv(f, server.URL(), "alerted", ci, 1)
		env["GAMEDAY_FEATURE_API_URL"] = api.srv.URL
		env["GAMEDAY_ALERT_URL"] = recv.URL + "/alertmanager"
		env["GAMEDAY_PAGERDUTY_URL"] = recv.URL + "/v2/enqueue"
		r, code := runToEnd(env)
		Expect(code).To(Equal(1))
		Expect(r.lastLine()).To(ContainSubstring("result=failure class=permanent"))
		mu.Lock()
		defer mu.Unlock()
		Expect(bodies["/alertmanager"]).To(ContainElement(ContainSubstring("first-failure")), r.stderr.String())
		Expect(bodies["/v2/enqueue"]).To(BeEmpty())
	})
})
