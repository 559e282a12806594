package condition_test

import (
	"testing"
	"time"

	"github.com/gameday/gameday/policies/alerting/condition"
)

func TestConditions(t *testing.T) {
	cases := []struct {
		when string
		v    condition.Vars
		want bool
	}{
		{"failure_count == 1", condition.Vars{FailureCount: 1, ConsecutiveFailures: 1}, true},
		{"failure_count == 1", condition.Vars{FailureCount: 2, ConsecutiveFailures: 2}, false},
		{"consecutive_failures >= 3", condition.Vars{FailureCount: 3, ConsecutiveFailures: 3}, true},
		{"late > duration('60m')", condition.Vars{Late: 61 * time.Minute}, true},
		{"late > duration('60m')", condition.Vars{Late: 60 * time.Minute}, false},
		{"late > duration('3s')", condition.Vars{}, false},
		{"error_class == 'permanent' && attempts == 1", condition.Vars{ErrorClass: "permanent", Attempts: 1}, true},
		{"run_id startsWith 'nightly' && pipeline == 'reference' && step == 'train'", condition.Vars{RunID: "nightly-2", Pipeline: "reference", Step: "train"}, true},
	}
	for _, c := range cases {
		cond, err := condition.Compile(c.when)
		if err != nil {
			t.Fatalf("compile %q: %v", c.when, err)
		}
		got, err := cond.Eval(c.v)
		if err != nil {
			t.Fatalf("eval %q: %v", c.when, err)
		}
		if got != c.want {
			t.Errorf("%q over %+v = %v, want %v", c.when, c.v, got, c.want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	for _, when := range []string{"", "failures > 1", "failure_count + 1", "late > 5 +", "error_class == 3"} {
		if err := condition.Validate(when); err == nil {
			t.Errorf("Validate(%q) = nil, want an error", when)
		}
	}
}
