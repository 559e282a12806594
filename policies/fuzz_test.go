package policies_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gameday/gameday/policies"
)

// FuzzParse checks that no input makes the loader panic or take long, and
// that what it accepts is valid: at least one attempt, a known jitter,
// positive timeouts.
// The seed corpus (shipped, good and bad files) runs in every `go test`.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"*.yaml", "testdata/good/*.yaml", "testdata/bad/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		p, err := policies.Parse("fuzz.yaml", data, nil)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("parsing %d bytes took %s", len(data), d)
		}
		if err != nil {
			return
		}
		if p.Retry.MaxAttempts < 1 || p.Retry.AttemptTimeout <= 0 || p.Retry.OverallTimeout <= 0 || p.Retry.Backoff.Multiplier < 1 {
			t.Fatalf("accepted an invalid policy: %+v", p.Retry)
		}
		if p.Classify.Transient == nil || p.Classify.Unknown == nil || p.Classify.Unknown.Retry == nil {
			t.Fatalf("defaults not applied: %+v", p.Classify)
		}
	})
}
