package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// rawResult mirrors the lists of a report.json as raw JSON, so Validate can
// tell an explicit null entry from an empty one.
type rawResult struct {
	Scenarios []json.RawMessage `json:"scenarios"`
}

type rawScenario struct {
	Expectations []json.RawMessage `json:"expectations"`
	Repeats      *struct {
		Each []json.RawMessage `json:"each"`
	} `json:"repeats"`
}

// validate checks the structure of a decoded report against the raw JSON it
// came from. Errors name the JSON path: "scenarios[0]: null",
// "scenarios[1].expectations[2].name: empty".
func validate(data []byte, r *Result) error {
	var raw rawResult
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	return validateScenarios("scenarios", raw.Scenarios, r.Scenarios)
}

func isNull(m json.RawMessage) bool {
	return len(m) == 0 || bytes.Equal(bytes.TrimSpace(m), []byte("null"))
}

func validateScenarios(path string, raws []json.RawMessage, scs []Scenario) error {
	for i, sc := range scs {
		at := fmt.Sprintf("%s[%d]", path, i)
		if i < len(raws) && isNull(raws[i]) {
			return fmt.Errorf("%s: null", at)
		}
		var raw rawScenario
		if i < len(raws) {
			if err := json.Unmarshal(raws[i], &raw); err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
		}
		if err := validateScenario(at, raw, sc); err != nil {
			return err
		}
	}
	return nil
}

func validateScenario(at string, raw rawScenario, sc Scenario) error {
	switch {
	case sc.Name == "":
		return fmt.Errorf("%s.name: empty", at)
	case sc.File == "":
		return fmt.Errorf("%s.file: empty", at)
	case sc.DurationMS < 0:
		return fmt.Errorf("%s.duration_ms: negative (%d)", at, sc.DurationMS)
	}
	for j, e := range sc.Expectations {
		ea := fmt.Sprintf("%s.expectations[%d]", at, j)
		if j < len(raw.Expectations) && isNull(raw.Expectations[j]) {
			return fmt.Errorf("%s: null", ea)
		}
		switch {
		case e.Name == "":
			return fmt.Errorf("%s.name: empty", ea)
		case e.Held < 0 || e.Runs < 0 || e.Held > e.Runs:
			return fmt.Errorf("%s: held %d of runs %d", ea, e.Held, e.Runs)
		}
	}
	if err := validateMetrics(at+".metrics", sc.Metrics); err != nil {
		return err
	}
	if sc.Repeats == nil {
		return nil
	}
	rep := sc.Repeats
	ra := at + ".repeats"
	switch {
	case rep.Runs < 1:
		return fmt.Errorf("%s.runs: %d, want at least 1", ra, rep.Runs)
	case rep.Passed < 0 || rep.Passed > rep.Runs:
		return fmt.Errorf("%s.passed: %d of %d runs", ra, rep.Passed, rep.Runs)
	case len(rep.Seeds) != rep.Runs:
		return fmt.Errorf("%s.seeds: %d seeds for %d runs", ra, len(rep.Seeds), rep.Runs)
	}
	var each []json.RawMessage
	if raw.Repeats != nil {
		each = raw.Repeats.Each
	}
	return validateScenarios(ra+".each", each, rep.Each)
}

func validateMetrics(at string, m Metrics) error {
	for _, c := range []struct {
		name string
		n    int
	}{
		{"requests", m.Requests}, {"faults_injected", m.FaultsInjected}, {"attempts", m.Attempts},
		{"retries", m.Retries}, {"pages", m.Pages}, {"duplicate_artifacts", m.DuplicateArtifacts},
	} {
		if c.n < 0 {
			return fmt.Errorf("%s.%s: negative (%d)", at, c.name, c.n)
		}
	}
	for sev, n := range m.Alerts {
		if sev == "" {
			return fmt.Errorf("%s.alerts: empty severity", at)
		}
		if n < 0 {
			return fmt.Errorf("%s.alerts.%s: negative (%d)", at, sev, n)
		}
	}
	if m.RecoveryTimeMS != nil && *m.RecoveryTimeMS < 0 {
		return fmt.Errorf("%s.recovery_time_ms: negative (%d)", at, *m.RecoveryTimeMS)
	}
	if m.GaveUpAfterMS != nil && *m.GaveUpAfterMS < 0 {
		return fmt.Errorf("%s.gave_up_after_ms: negative (%d)", at, *m.GaveUpAfterMS)
	}
	if math.IsNaN(m.SuccessRate) || m.SuccessRate < 0 || m.SuccessRate > 1 {
		return fmt.Errorf("%s.success_rate: %v, want 0..1", at, m.SuccessRate)
	}
	return nil
}
