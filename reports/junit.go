package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The JUnit XML shape written by WriteJUnit. It follows the Ant JUnit schema
// that CI parsers (Jenkins, GitLab, GitHub actions, Azure) accept: every
// testsuite carries name, package, id, timestamp, hostname, tests, failures,
// errors and time, then properties, testcases, system-out and system-err.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr"`
	ID         int             `xml:"id,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  junitOutput     `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

// junitOutput is a <system-out>: CDATA, so that a log's lines stay lines
// in the raw file.
type junitOutput struct {
	Text string `xml:",cdata"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// InfrastructureCase is the name of the JUnit testcase that carries a
// scenario's infrastructure error (exit 3).
const InfrastructureCase = "infrastructure"

// WriteJUnit writes junit.xml: one testsuite per scenario (named after it)
// and one testcase per expectation, named by the expectation's key. A failed
// expectation carries a <failure> whose message holds want and got, and whose
// text adds the explanation and the replay command. A scenario's
// infrastructure error is an <error> in a testcase named "infrastructure",
// whose text gives the fix; such a scenario's properties carry "fix" instead
// of "replay". A scenario that did not pass carries the last lines of its
// workload log in <system-out>.
func WriteJUnit(w io.Writer, r *Result) error {
	doc := junitSuites{Name: "gameday", Time: seconds(r.DurationMS)}
	stamp := r.StartedAt.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05")
	for i, s := range r.Scenarios {
		suite := junitSuite{
			Name:      s.Name,
			Package:   "gameday",
			ID:        i,
			Timestamp: stamp,
			Hostname:  "localhost",
			Time:      seconds(s.DurationMS),
			Properties: []junitProperty{
				{"file", s.File},
				{"seed", strconv.FormatInt(s.Seed, 10)},
			},
		}
		if s.Replayable() {
			suite.Properties = append(suite.Properties, junitProperty{"replay", s.ReplayCommand()})
		} else {
			suite.Properties = append(suite.Properties, junitProperty{"fix", s.Fix()})
		}
		suite.Properties = append(suite.Properties, junitProperty{"backend", r.Backend})
		suite.Properties = append(suite.Properties, metricProperties(s)...)
		for _, e := range s.Expectations {
			c := junitCase{Name: e.Name, Classname: s.Name, Time: "0"}
			if !e.Passed {
				kind := "expectation"
				if e.Inconclusive {
					kind = "inconclusive"
				}
				c.Failure = &junitProblem{
					Message: fmt.Sprintf("want %s, got %s", e.Want, e.Got),
					Type:    kind,
					Text:    xmlSafe(junitText(s, e)),
				}
				suite.Failures++
			}
			suite.Cases = append(suite.Cases, c)
		}
		if s.Error != "" {
			suite.Cases = append(suite.Cases, junitCase{
				Name: InfrastructureCase, Classname: s.Name, Time: "0",
				Error: &junitProblem{Message: s.Error, Type: "infrastructure",
					Text: xmlSafe(s.Error + "\nfix: " + s.Fix())},
			})
			suite.Errors++
		}
		if !s.Passed || s.Error != "" {
			suite.SystemOut.Text = xmlSafe(logText(s))
		}
		suite.Tests = len(suite.Cases)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Suites = append(doc.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func junitText(s Scenario, e Expectation) string {
	lines := []string{"want: " + e.Want, "got: " + e.Got}
	if e.Message != "" {
		lines = append([]string{e.Message}, lines...)
	}
	if e.Runs > 0 {
		held := fmt.Sprintf("held: %d/%d runs", e.Held, e.Runs)
		if len(e.FailedSeeds) > 0 {
			held += "; failed seeds " + joinSeeds(e.FailedSeeds)
		}
		if len(e.NotJudgedSeeds) > 0 {
			held += "; not judged in seeds " + joinSeeds(e.NotJudgedSeeds)
		}
		lines = append(lines, held)
	}
	if s.Replayable() {
		lines = append(lines, "replay: "+s.ReplayCommand())
	}
	return strings.Join(lines, "\n")
}

// logText renders the end of a failed scenario's workload log for
// <system-out>: under --repeat, of every run that did not pass.
func logText(s Scenario) string {
	var b strings.Builder
	one := func(prefix string, t *LogTail) {
		if t == nil {
			return
		}
		if t.Truncated {
			fmt.Fprintf(&b, "%sworkload log %s (last %d lines):\n", prefix, t.Path, len(t.Lines))
		} else {
			fmt.Fprintf(&b, "%sworkload log %s:\n", prefix, t.Path)
		}
		for _, l := range t.Lines {
			b.WriteString(l + "\n")
		}
	}
	if s.Repeats == nil {
		one("", s.WorkloadLog)
		return b.String()
	}
	for _, r := range s.Repeats.Each {
		if !r.Passed || r.Error != "" {
			one(fmt.Sprintf("seed %d: ", r.Seed), r.WorkloadLog)
		}
	}
	return b.String()
}

func metricProperties(s Scenario) []junitProperty {
	m := s.Metrics
	props := []junitProperty{
		{"requests", strconv.Itoa(m.Requests)},
		{"faults_injected", strconv.Itoa(m.FaultsInjected)},
		{"attempts", strconv.Itoa(m.Attempts)},
		{"retries", strconv.Itoa(m.Retries)},
		{"pages", strconv.Itoa(m.Pages)},
		{"duplicate_artifacts", strconv.Itoa(m.DuplicateArtifacts)},
		{"success_rate", strconv.FormatFloat(m.SuccessRate, 'f', -1, 64)},
	}
	alerts := alertsBySeverity(m.Alerts)
	sevs := make([]string, 0, len(alerts))
	for sev := range alerts {
		sevs = append(sevs, sev)
	}
	slices.Sort(sevs)
	for _, sev := range sevs {
		props = append(props, junitProperty{"alerts." + sev, strconv.Itoa(alerts[sev])})
	}
	if m.RecoveryTimeMS != nil {
		props = append(props, junitProperty{"recovery_time_ms", strconv.FormatInt(*m.RecoveryTimeMS, 10)})
	}
	if m.GaveUpAfterMS != nil {
		props = append(props, junitProperty{"gave_up_after_ms", strconv.FormatInt(*m.GaveUpAfterMS, 10)})
	}
	if s.Repeats != nil {
		props = append(props,
			junitProperty{"repeats", strconv.Itoa(s.Repeats.Runs)},
			junitProperty{"repeats_passed", strconv.Itoa(s.Repeats.Passed)})
	}
	return props
}

func seconds(ms int64) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}

// xmlSafe replaces the characters XML 1.0 cannot carry (control characters
// such as escape codes in captured output) with U+FFFD, as encoding/xml does
// for attributes; CDATA sections would otherwise carry them raw.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		default:
			return '\uFFFD'
		}
	}, s)
}
