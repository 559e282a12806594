package harness

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/scenarios"
)

func TestVerdictsFollowTheExpectBlock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	src := "name: x\ntargets: {s: {kind: minio}}\nworkload: {exec: [sh]}\nexpect:\n  requests:\n    - {status: 503, count: 1}\n  pages: 0\n  alerts: {info: 1}\n  outcome: success\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	vs := []reports.Expectation{{Name: "outcome"}, {Name: "pages"}, {Name: "alerts.info"}, {Name: "requests[0]"}, {Name: "timeout"}}
	sc, err := scenarios.LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	orderVerdicts(vs, sc.ExpectOrder())
	var got []string
	for _, v := range vs {
		got = append(got, v.Name)
	}
	want := []string{"requests[0]", "pages", "alerts.info", "outcome", "timeout"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
