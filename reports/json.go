package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gameday/gameday/internal/boundedfile"
)

// WriteJSON writes r as indented JSON (report.json).
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(withEmptyLists(r)); err != nil {
		return fmt.Errorf("write report json: %w", err)
	}
	return nil
}

// ReadJSON decodes a report.json. Unknown fields are errors, and so is a
// format_version newer than this package writes or missing, and so is a
// structurally invalid report: a null scenario or expectation, a scenario
// without name or file, an expectation without name, a negative counter, a
// success_rate outside 0..1, or repeats that do not add up. Those errors
// name the JSON path, e.g. "scenarios[0]: null".
func ReadJSON(rd io.Reader) (*Result, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read report json: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("read report json: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("read report json: trailing data after the report")
	}
	if r.FormatVersion < 1 || r.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("read report json: format_version %d not supported (want 1..%d)", r.FormatVersion, FormatVersion)
	}
	if err := validate(data, &r); err != nil {
		return nil, fmt.Errorf("read report json: %w", err)
	}
	return &r, nil
}

// MaxFileSize caps the report.json that ReadFile reads.
const MaxFileSize = 64 << 20

// ReadFile reads the report.json at path, a regular file of at most
// MaxFileSize bytes; errors name the file (a *boundedfile.Error when the
// file could not be read).
func ReadFile(path string) (*Result, error) {
	data, err := boundedfile.Read(path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	r, err := ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// withEmptyLists returns a copy of r whose nil lists are empty, so
// report.json always has "scenarios": [], "expectations": [] rather than
// null, and whose alerts carry every severity of Severities (0 when none
// fired), so "alerts" is never {} or null. r itself is left alone.
func withEmptyLists(r *Result) *Result {
	c := *r
	c.Scenarios = scenariosWithEmptyLists(r.Scenarios)
	return &c
}

func scenariosWithEmptyLists(in []Scenario) []Scenario {
	out := make([]Scenario, len(in))
	for i, s := range in {
		if s.Expectations == nil {
			s.Expectations = []Expectation{}
		}
		s.Metrics.Alerts = alertsBySeverity(s.Metrics.Alerts)
		if s.Timeline != nil {
			s.Timeline = timelineWithEmptyLists(*s.Timeline)
		}
		if s.Repeats != nil {
			rep := *s.Repeats
			if rep.Seeds == nil {
				rep.Seeds = []int64{}
			}
			if rep.Each != nil {
				rep.Each = scenariosWithEmptyLists(rep.Each)
			}
			s.Repeats = &rep
		}
		out[i] = s
	}
	return out
}

// Severities are the alert severities a report always counts, 0 when none
// fired: metrics.alerts in report.json and the alerts.* properties of
// junit.xml carry each of them.
var Severities = []string{"info", "warning", "page"}

// alertsBySeverity returns a copy of alerts with every severity of
// Severities present (0 when absent), and any other severity kept.
func alertsBySeverity(alerts map[string]int) map[string]int {
	out := make(map[string]int, len(Severities)+len(alerts))
	for _, sev := range Severities {
		out[sev] = 0
	}
	for sev, n := range alerts {
		out[sev] = n
	}
	return out
}

// timelineWithEmptyLists returns a copy of t whose nil lists are empty.
func timelineWithEmptyLists(t Timeline) *Timeline {
	t.Targets = emptyIfNil(t.Targets)
	t.Requests = emptyIfNil(t.Requests)
	t.Runs = emptyIfNil(t.Runs)
	t.Faults = emptyIfNil(t.Faults)
	t.Windows = emptyIfNil(t.Windows)
	t.Alerts = emptyIfNil(t.Alerts)
	t.Artifacts = emptyIfNil(t.Artifacts)
	return &t
}

func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
