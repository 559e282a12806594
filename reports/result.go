package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatVersion is the version of the report.json format this package writes.
// It grows when a field changes meaning or goes away; added fields keep it.
const FormatVersion = 1

// Result is everything a `gameday run` produced, as written to report.json.
type Result struct {
	// FormatVersion is FormatVersion when written by this package.
	FormatVersion int `json:"format_version"`
	// StartedAt is the wall-clock start of the run (UTC).
	StartedAt time.Time `json:"started_at"`
	// DurationMS is the wall time of the whole run.
	DurationMS int64 `json:"duration_ms"`
	// Backend is the backend the targets ran on: "process" or "docker".
	Backend string `json:"backend"`
	// Command is the command line that produced the report, if known.
	Command string `json:"command,omitempty"`
	// Repeat is the --repeat count; 0 or 1 means every scenario ran once.
	Repeat int `json:"repeat,omitempty"`
	// Shard is set on the report of one part of a sharded run (--shard I/N);
	// a merged report has none. See Merge.
	Shard *Shard `json:"shard,omitempty"`
	// Summary holds the totals; Summarize computes it from Scenarios.
	Summary Summary `json:"summary"`
	// Scenarios holds one entry per scenario, in the order they were given.
	Scenarios []Scenario `json:"scenarios"`
}

// Summary holds the totals of a Result.
type Summary struct {
	Scenarios          int `json:"scenarios"`
	Passed             int `json:"passed"`
	Failed             int `json:"failed"`  // scenarios that did not pass, Errored included
	Errored            int `json:"errored"` // scenarios that hit an infrastructure error
	Expectations       int `json:"expectations"`
	ExpectationsFailed int `json:"expectations_failed"`
	// Flaky counts expectations that held in some but not all repeats.
	Flaky int `json:"flaky,omitempty"`
}

// Scenario is the outcome of one scenario file. With --repeat N it is the
// aggregate of N runs (see Aggregate and Repeats).
type Scenario struct {
	Name string `json:"name"`
	// File is the scenario file as given on the command line.
	File string `json:"file"`
	// Seed is the seed the scenario ran with; with repeats, the first seed
	// that failed (a judged failure before an infrastructure error), else
	// the first seed. See Aggregate.
	Seed       int64 `json:"seed"`
	Passed     bool  `json:"passed"`
	DurationMS int64 `json:"duration_ms"`
	// Expectations are in the order of the scenario file's expect block.
	Expectations []Expectation `json:"expectations"`
	Metrics      Metrics       `json:"metrics"`
	// Error is an infrastructure error (exit 3): a target could not be
	// started or died unasked. A scenario with an Error has not passed.
	Error string `json:"error,omitempty"`
	// Replay is the command that replays this scenario with its seed. When
	// empty, ReplayCommand derives it from Seed and File. The writers show it
	// only for a judged failure (see Replayable); an infrastructure error
	// gets its Fix instead.
	Replay string `json:"replay,omitempty"`
	// Repeats is set when the scenario ran more than once (--repeat N).
	Repeats *Repeats `json:"repeats,omitempty"`
	// PolicySHA256 is the SHA-256 (hex) of the workload's policy file, when
	// it has one: history groups runs by it.
	PolicySHA256 string `json:"policy_sha256,omitempty"`
	// WorkloadLog is the end of the workload's log, for a scenario that
	// did not pass (junit.xml's system-out carries it).
	WorkloadLog *LogTail `json:"workload_log,omitempty"`
	// Timeline is what happened when, for report.html; nil for an
	// aggregate of repeats (each run has its own).
	Timeline *Timeline `json:"timeline,omitempty"`
}

// LogTail is the end of a log file.
type LogTail struct {
	// Path is the log file as shown to the user (under --out).
	Path string `json:"path"`
	// Lines are its last lines (at most MaxLogTailLines), without their
	// line ends.
	Lines []string `json:"lines"`
	// Truncated says that the file had more lines than Lines.
	Truncated bool `json:"truncated,omitempty"`
}

// MaxLogTailLines is how many of a workload log's last lines a LogTail
// keeps.
const MaxLogTailLines = 40

// Repeats describes the runs behind an aggregated Scenario.
type Repeats struct {
	Runs        int        `json:"runs"`
	Passed      int        `json:"passed"`
	Seeds       []int64    `json:"seeds"`
	FailedSeeds []int64    `json:"failed_seeds,omitempty"`
	Each        []Scenario `json:"each,omitempty"` // every single run, in seed order
	// Recovery is the distribution of recovery time over the runs.
	Recovery *RecoveryStats `json:"recovery,omitempty"`
}

// Expectation is the verdict on one key of a scenario's expect block.
type Expectation struct {
	// Name is the expectation's key as DESIGN.md fixes it: outcome, pages,
	// alerts.info, retries_after[0], backoff.jitter, requests[1], timeout ...
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Want and Got are the wanted comparison and the observed value, as
	// text: "<=3" and "5", "success" and "failure".
	Want string `json:"want"`
	Got  string `json:"got"`
	// Message explains a failure (or an inconclusive result) in a sentence.
	// It is always written, as "" when the judge had nothing to say (the
	// judges of harness/expect leave it empty for most passes).
	Message string `json:"message"`
	// Inconclusive marks a failure for lack of data (e.g. too few retries to
	// judge backoff).
	Inconclusive bool `json:"inconclusive,omitempty"`
	// Evidence, on a statistical verdict (backoff.jitter, backoff.growing),
	// says it was judged on waits pooled from evidence runs.
	Evidence *Evidence `json:"evidence,omitempty"`
	// Held and Runs are set with repeats: in how many of Runs it held.
	// Runs counts the runs that judged it; a run that did not (an
	// infrastructure error before the workload ran) is in NotJudgedSeeds
	// instead, and counts neither as held nor as failed: that run's error
	// is the scenario's Error.
	Held           int     `json:"held,omitempty"`
	Runs           int     `json:"runs,omitempty"`
	FailedSeeds    []int64 `json:"failed_seeds,omitempty"`
	NotJudgedSeeds []int64 `json:"not_judged_seeds,omitempty"`
}

// Evidence is what a statistical verdict was judged on when the primary
// run alone was inconclusive.
type Evidence struct {
	// Runs counts the runs whose waits were pooled: the primary and the
	// evidence runs.
	Runs int `json:"runs"`
	// Waits counts the pooled waits.
	Waits int `json:"waits"`
	// Dropped counts evidence runs left out for an infrastructure error.
	Dropped int `json:"dropped,omitempty"`
}

// Metrics are the measurements of one scenario.
type Metrics struct {
	Requests       int `json:"requests"`
	FaultsInjected int `json:"faults_injected"`
	// Attempts is the largest attempt count of any operation.
	Attempts int `json:"attempts"`
	Retries  int `json:"retries"`
	Pages    int `json:"pages"`
	// Alerts counts alerts (pages included) by severity.
	Alerts             map[string]int `json:"alerts"`
	DuplicateArtifacts int            `json:"duplicate_artifacts"`
	// RecoveryTimeMS is nil when nothing recovered (or nothing was injected).
	RecoveryTimeMS *int64 `json:"recovery_time_ms"`
	// GaveUpAfterMS is set when a fault was injected and nothing recovered:
	// the time from the first injected fault to the end of the last run,
	// when the workload gave up.
	GaveUpAfterMS *int64 `json:"gave_up_after_ms,omitempty"`
	// SuccessRate is successful runs / runs of the workload, 0..1.
	SuccessRate float64 `json:"success_rate"`
}

// Summarize fills r.Summary from r.Scenarios and sets FormatVersion.
func (r *Result) Summarize() {
	r.FormatVersion = FormatVersion
	var s Summary
	for _, sc := range r.Scenarios {
		s.Scenarios++
		if sc.Passed && sc.Error == "" {
			s.Passed++
		} else {
			s.Failed++
		}
		if sc.Error != "" {
			s.Errored++
		}
		for _, e := range sc.Expectations {
			s.Expectations++
			if !e.Passed && e.judged() {
				s.ExpectationsFailed++
			}
			if e.Runs > 0 && e.Held > 0 && e.Held < e.Runs {
				s.Flaky++
			}
		}
	}
	r.Summary = s
}

// ExitCode returns the exit code DESIGN.md fixes for the run's outcome:
// 3 when a scenario hit an infrastructure error, else 1 when a scenario
// failed, else 0. Bad input (2) is found before anything runs, so a Result
// never carries it.
func (r *Result) ExitCode() int {
	code := 0
	for _, sc := range r.Scenarios {
		switch {
		case sc.Error != "":
			return 3
		case !sc.Passed:
			code = 1
		}
	}
	return code
}

// Failed returns the scenarios that did not pass, in order.
func (r *Result) Failed() []Scenario {
	var out []Scenario
	for _, sc := range r.Scenarios {
		if !sc.Passed || sc.Error != "" {
			out = append(out, sc)
		}
	}
	return out
}

// ReplayCommand returns the command that replays the scenario with its seed:
// Replay when set, else `gameday run --seed N FILE`.
func (s Scenario) ReplayCommand() string {
	if s.Replay != "" {
		return s.Replay
	}
	return ReplayCommand(s.Seed, s.File)
}

// ReplayCommand returns `gameday run --seed N FILE`, quoting FILE for a POSIX
// shell when it needs it.
func ReplayCommand(seed int64, file string) string {
	return ReplayCommandFlags([]string{"--seed", strconv.FormatInt(seed, 10)}, file)
}

// ReplayCommandFlags returns `gameday run FLAGS... FILE`, quoting every
// argument for a POSIX shell when it needs it. The runner passes every flag
// that changes the outcome: --backend, --seed, --evidence-runs.
func ReplayCommandFlags(flags []string, file string) string {
	parts := []string{"gameday", "run"}
	for _, f := range flags {
		parts = append(parts, shellQuote(f))
	}
	return strings.Join(append(parts, shellQuote(file)), " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./+:=@,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Verdict is the one-word verdict of a scenario: PASS, FAIL, ERROR, or with
// repeats FLAKY (some runs passed) .
func (s Scenario) Verdict() string {
	switch {
	case s.Error != "":
		return "ERROR"
	case s.Passed:
		return "PASS"
	case s.Repeats != nil && s.Repeats.Passed > 0:
		return "FLAKY"
	default:
		return "FAIL"
	}
}

// judged reports whether some run judged the expectation. One that no run
// judged (every run of it hit an infrastructure error first) is neither
// held nor failed.
func (e Expectation) judged() bool {
	return e.Runs > 0 || len(e.NotJudgedSeeds) == 0
}

// String renders an expectation as "name: want W, got G".
func (e Expectation) String() string {
	return fmt.Sprintf("%s: want %s, got %s", e.Name, e.Want, e.Got)
}

// Replayable says whether a replay command makes sense for the scenario: it
// failed on a judged expectation rather than on an infrastructure error
// alone. With repeats it is replayable when some run failed on a judged
// expectation without an infrastructure error (Aggregate then points Seed at
// that run). A scenario that passed is replayable too; the renderers list
// replays for failed scenarios only.
func (s Scenario) Replayable() bool {
	if s.Error == "" {
		return true
	}
	if s.Repeats == nil {
		return false
	}
	for _, r := range s.Repeats.Each {
		if !r.Passed && r.Error == "" {
			return true
		}
	}
	return false
}

// fixVerbs start the hint an infrastructure error ends with, after "; ":
// "...does not exist; run `make bin/minio`".
var fixVerbs = []string{"run ", "set ", "use ", "install ", "start ", "stop ", "free ", "check ", "remove ", "see "}

// Fix returns what to do about the scenario's infrastructure error: the hint
// the error ends with ("; run `make bin/minio`") when it has one, else a
// general one. It is "" when the scenario has no Error.
func (s Scenario) Fix() string {
	if s.Error == "" {
		return ""
	}
	if i := strings.LastIndex(s.Error, "; "); i >= 0 {
		tail := s.Error[i+2:]
		for _, v := range fixVerbs {
			if strings.HasPrefix(tail, v) {
				return tail
			}
		}
	}
	if strings.Contains(s.Error, "interrupted") {
		return "run it again: " + s.ReplayCommand()
	}
	return "check the target logs in the run's output folder under " + s.Name + "/, fix the environment " +
		"(`gameday clean` removes what killed runs left behind), then run the scenario again"
}

// replayable returns the failed scenarios a replay command makes sense for.
func replayable(failed []Scenario) []Scenario {
	var out []Scenario
	for _, s := range failed {
		if s.Replayable() {
			out = append(out, s)
		}
	}
	return out
}
