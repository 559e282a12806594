package scenarios

import (
	"fmt"
	"time"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/strictyaml"
)

// Scenario is one scenario file, loaded, defaulted and validated. Every
// field is read-only for consumers once LoadFile returned it.
type Scenario struct {
	// File is the absolute path of the scenario file.
	File string `yaml:"-" json:"-"`

	// Name is required, matches [a-z0-9-] and is unique in a run.
	Name string `yaml:"name,required" json:"name" jsonschema:"required,pattern=^[a-z0-9-]+$"`
	// Description is free text for people.
	Description string `yaml:"description" json:"description,omitempty"`
	// Tags are free labels, shown by `gameday list`.
	Tags []string `yaml:"tags" json:"tags,omitempty"`
	// Seed is nil when absent: the runner then picks one (and records it);
	// --seed overrides it.
	Seed *int64 `yaml:"seed" json:"seed,omitempty"`
	// Timeout is the hard cap for the whole scenario. Default 2m.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// EvidenceRuns caps the extra runs, each on a fresh stack with a
	// derived seed, that gather more waits when a statistical verdict
	// (backoff.jitter, backoff.growing) of the primary run is inconclusive.
	// nil = DefaultEvidenceRuns; 0 turns them off; --evidence-runs
	// overrides it.
	EvidenceRuns *int `yaml:"evidence_runs" json:"evidence_runs,omitempty" jsonschema:"minimum=0,maximum=10"`

	// Targets are the systems the scenario boots, in file order.
	Targets Targets `yaml:"targets,required" json:"targets" jsonschema:"required"`
	// Workload is the step that runs against the targets.
	Workload Workload `yaml:"workload,required" json:"workload" jsonschema:"required"`
	// Faults are the injection rules, in file order (which is rule order).
	Faults []*Fault `yaml:"faults" json:"faults,omitempty"`
	// Expect holds what must be observed for the scenario to pass.
	Expect Expect `yaml:"expect" json:"expect,omitempty"`

	// Matrix, when set, makes the file stand for one scenario per
	// combination of its axes' values (Combinations; LoadSet expands it).
	// nil when the file has none, and on a combination.
	Matrix Matrix `yaml:"matrix" json:"matrix,omitempty"`
	// Combination is set on a scenario Combinations made: each axis's
	// value, in the matrix's order, as the name shows them. nil otherwise.
	Combination []Setting `yaml:"-" json:"-"`

	// doc is what the loader learnt of the file: positions, written keys
	// and their order. Nothing re-reads the file.
	doc *strictyaml.Doc
	// overrides are what With applied (see Overrides).
	overrides Override
}

// Pos returns "FILE:LINE:COL" of the value at path (a path such as
// "workload.exec" or "faults[1].match"), the file as it was given to the
// loader, or just FILE when the position is unknown.
func (s *Scenario) Pos(path string) string {
	if s.doc == nil {
		return s.File
	}
	p := s.doc.Pos(path)
	if p.Line == 0 {
		return s.doc.File
	}
	return fmt.Sprintf("%s:%d:%d", s.doc.File, p.Line, p.Col)
}

// Given returns the scenario file's path as it was given to the loader
// (File is absolute).
func (s *Scenario) Given() string {
	if s.doc == nil || s.doc.File == "" {
		return s.File
	}
	return s.doc.File
}

// Written reports whether the file wrote the key at path (as opposed to a
// default filled in by the loader).
func (s *Scenario) Written(path string) bool { return s.doc.Has(path) }

// ExpectOrder returns the keys of the expect block in file order; nil for
// a scenario built in Go.
func (s *Scenario) ExpectOrder() []string { return s.doc.Keys("expect") }

// DefaultTimeout is the scenario timeout when the file gives none.
const DefaultTimeout = 2 * time.Minute

// DefaultEvidenceRuns is the evidence-run budget when the file gives none;
// MaxEvidenceRuns caps it.
const (
	DefaultEvidenceRuns = 3
	MaxEvidenceRuns     = 10
)

// Evidence returns the scenario's evidence-run budget: EvidenceRuns, else
// DefaultEvidenceRuns.
func (s *Scenario) Evidence() int {
	if s.EvidenceRuns != nil {
		return *s.EvidenceRuns
	}
	return DefaultEvidenceRuns
}

// Target kinds.
const (
	KindMinIO = "minio" // a real MinIO server
	KindStub  = "stub"  // a stub HTTP API (gameday stub) answering Routes
)

// WorkloadTarget is the reserved target name of faults that crash or pause
// the workload itself.
const WorkloadTarget = "workload"

// Targets are the scenario's targets in file order. In YAML they are a
// mapping from name to target.
type Targets []*Target

// Target returns the target called name, or nil.
func (ts Targets) Target(name string) *Target {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// FirstMinIO returns the first minio target in file order, or nil.
func (ts Targets) FirstMinIO() *Target {
	for _, t := range ts {
		if t.Kind == KindMinIO {
			return t
		}
	}
	return nil
}

// Target returns the scenario's target called name, or nil.
func (s *Scenario) Target(name string) *Target { return s.Targets.Target(name) }

// FirstMinIO returns the scenario's first minio target in file order, or nil.
func (s *Scenario) FirstMinIO() *Target { return s.Targets.FirstMinIO() }

// Target is one system under test: a MinIO server or a stub API.
type Target struct {
	// Name is the target's key in the targets mapping: [a-z0-9-], not
	// "workload", and its env form GAMEDAY_<NAME>_URL must not clash.
	Name string `yaml:"-" json:"-"`
	// Kind is KindMinIO or KindStub.
	Kind string `yaml:"kind,required" json:"kind" jsonschema:"required,enum=minio,enum=stub"`

	// Buckets (minio only) are created before the run, with versioning.
	Buckets []string `yaml:"buckets" json:"buckets,omitempty"`
	// Objects (minio only) are written directly before faults are armed.
	Objects []*Object `yaml:"objects" json:"objects,omitempty"`

	// Routes (stub only) are answered first match wins; unmatched requests
	// get a 404 JSON error.
	Routes []*Route `yaml:"routes" json:"routes,omitempty"`
}

// ProxyKind is how injected errors look in front of a target of kind: S3
// XML for MinIO, JSON for stubs.
func ProxyKind(kind string) injectors.Kind {
	if kind == KindMinIO {
		return injectors.KindS3
	}
	return injectors.KindJSON
}

// EnvVar returns the name of the environment variable that carries the
// target's proxy URL: GAMEDAY_<NAME>_URL, upper-cased, '-' → '_'.
func (t *Target) EnvVar() string { return EnvVarFor(t.Name) }

// Object is an object written into a bucket before the run. Exactly one of
// Size, Content and FromFile is set.
type Object struct {
	// Bucket must be one of the target's Buckets.
	Bucket string `yaml:"bucket,required" json:"bucket" jsonschema:"required"`
	// Key is the object key.
	Key string `yaml:"key,required" json:"key" jsonschema:"required"`
	// Size, when set, asks for that many deterministic bytes derived from the
	// scenario's seed (and the key).
	Size *Size `yaml:"size" json:"size,omitempty"`
	// Content, when set, is the object's literal content (may be empty).
	Content *string `yaml:"content" json:"content,omitempty"`
	// FromFile, when set, is the absolute path of a file whose bytes are the
	// content (written relative to the scenario file; it must exist).
	FromFile string `yaml:"from_file" json:"from_file,omitempty"`
}

// Route is one answer of a stub target.
type Route struct {
	// Method is the methods this route answers; empty means any.
	Method Methods `yaml:"method" json:"method,omitempty"`
	// Path is a glob: '*' matches any run of characters ('/' included) and a
	// "{param}" segment matches exactly one path segment.
	Path string `yaml:"path,required" json:"path" jsonschema:"required"`
	// Status is the answer's status code. Default 200.
	Status int `yaml:"status" json:"status,omitempty" jsonschema:"minimum=100,maximum=599"`
	// JSON, when non-nil, is sent as an application/json body. Free-form
	// data: map[string]any, []any, string, int64, uint64, float64, bool.
	JSON any `yaml:"json" json:"json,omitempty"`
	// Body, when set, is sent as is (text/plain unless Headers say
	// otherwise). At most one of JSON and Body.
	Body *string `yaml:"body" json:"body,omitempty"`
	// Headers are added to the answer.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// Delay is waited before answering. 0 = none.
	Delay time.Duration `yaml:"delay" json:"delay,omitempty"`
}

// Methods is a list of upper-case HTTP methods. In YAML it is one method
// (`method: GET`) or a list (`method: [GET, PUT]`); lower case is accepted
// and upper-cased.
type Methods []string

// Has reports whether m is empty (any method) or contains method.
func (m Methods) Has(method string) bool {
	if len(m) == 0 {
		return true
	}
	for _, x := range m {
		if x == method {
			return true
		}
	}
	return false
}

// Workload pipeline names.
const PipelineReference = "reference"

// Workload is the step run against the targets: the reference pipeline or
// any command. Exactly one of Pipeline and Exec is set.
type Workload struct {
	// Pipeline names a built-in pipeline; only "reference" exists.
	Pipeline string `yaml:"pipeline" json:"pipeline,omitempty" jsonschema:"enum=reference"`
	// Exec is a command and its arguments, run without a shell.
	Exec []string `yaml:"exec" json:"exec,omitempty"`
	// Policy is the absolute path of a policy file (written relative to the
	// scenario file; it must exist), handed over as GAMEDAY_POLICY. Empty
	// when absent.
	Policy string `yaml:"policy" json:"policy,omitempty"`
	// Env is added to the workload's cleaned environment.
	Env map[string]string `yaml:"env" json:"env,omitempty"`
	// RunID is the run id as written; empty when absent, meaning
	// "<name>-<seed>". Use Scenario.RunIDFor to get a run's id.
	RunID string `yaml:"run_id" json:"run_id,omitempty"`
	// Runs is the number of scheduled runs, 1..MaxRuns. Default 1.
	Runs int `yaml:"runs" json:"runs,omitempty" jsonschema:"minimum=1,maximum=1000"`
	// Every is the logical spacing between scheduled runs
	// (GAMEDAY_SCHEDULED_AT). Default 0.
	Every time.Duration `yaml:"every" json:"every,omitempty"`
	// Restarts is how many times a crashed run is started again, same
	// run_id, 0..MaxRestarts. Default 0.
	Restarts int `yaml:"restarts" json:"restarts,omitempty" jsonschema:"minimum=0,maximum=1000"`
	// SLA, when non-zero, makes a run late by end - start - SLA when that is
	// positive. 0 = no SLA.
	SLA time.Duration `yaml:"sla" json:"sla,omitempty"`
	// Timeout is the per-run cap; a run past it is killed and counts as
	// failed. Default: the scenario's Timeout.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// Fault phases (Fault.On).
const (
	OnRequest  = "request"  // before forwarding (the default)
	OnResponse = "response" // after the upstream answered
)

// Fault is one injection rule: match + action + schedule.
type Fault struct {
	// Name is required, [a-z0-9-], unique among the scenario's faults.
	Name string `yaml:"name,required" json:"name" jsonschema:"required,pattern=^[a-z0-9-]+$"`
	// Target names the target whose proxy applies the rule, or
	// WorkloadTarget for crash/pause of the workload. Required in
	// scenarios; optional in LoadFaults files (empty = any proxy).
	Target string `yaml:"target" json:"target,omitempty"`
	// Via (only with Target == WorkloadTarget) names the target whose
	// proxy's requests trigger the rule; empty = every proxy.
	Via string `yaml:"via" json:"via,omitempty"`
	// Match restricts the requests the rule applies to; nil matches every
	// request (and, for crash/pause, makes the fault a timer).
	Match *Match `yaml:"match" json:"match,omitempty"`
	// Action is what is done; exactly one action is set.
	Action Action `yaml:"action,required" json:"action" jsonschema:"required"`
	// On is OnRequest (default) or OnResponse.
	On string `yaml:"on" json:"on,omitempty" jsonschema:"enum=request,enum=response"`

	// After: the rule is active only from this time since the faults were
	// armed. nil = from arming.
	After *time.Duration `yaml:"after" json:"after,omitempty"`
	// Until: the rule is active only before this time since arming; nil = no
	// end. After < Until when both are set.
	Until *time.Duration `yaml:"until" json:"until,omitempty"`
	// Skip lets the first N matches pass. nil = none; positive when set.
	Skip *int `yaml:"skip" json:"skip,omitempty" jsonschema:"minimum=1,maximum=1000000"`
	// Every injects on every Nth match after the skipped ones. nil = every
	// match; positive when set.
	Every *int `yaml:"every" json:"every,omitempty" jsonschema:"minimum=1,maximum=1000000"`
	// Times injects at most N times. nil = unlimited; positive when set.
	Times *int `yaml:"times" json:"times,omitempty" jsonschema:"minimum=1,maximum=1000000"`
	// Probability, in [0, 1], is drawn from the scenario's seeded RNG. nil
	// = always (1).
	Probability *float64 `yaml:"probability" json:"probability,omitempty" jsonschema:"minimum=0,maximum=1"`
	// Optional exempts the fault from the implicit faults_fired
	// expectation: it may legitimately never inject. A fault that may not
	// fire by its own schedule (probability, skip, until) must say
	// optional: true, or optional: false to insist it fires.
	Optional *bool `yaml:"optional" json:"optional,omitempty"`
}

// MustFire reports whether faults_fired requires the fault to inject.
func (f *Fault) MustFire() bool { return f.Optional == nil || !*f.Optional }

// IsTimer reports whether the fault fires on a timer (a crash or pause
// without match) rather than on requests.
func (f *Fault) IsTimer() bool {
	return f.Match == nil && f.Action.Action != nil && injectors.ActsOnProcess(f.Action.Action)
}

// Match says which requests a fault applies to. Every set field must hold.
type Match struct {
	// Method is one method or a list; empty = any.
	Method Methods `yaml:"method" json:"method,omitempty"`
	// Path is a glob in which '*' matches any run of characters, '/'
	// included. Empty = any path.
	Path string `yaml:"path" json:"path,omitempty"`
	// Headers must be present with exactly these values.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// Query parameters must be present with exactly these values.
	Query map[string]string `yaml:"query" json:"query,omitempty"`
}

// Action is what a fault does: one of the closed set of injectors
// actions (injectors.Actions), each of which owns its validation, its
// rendering and its behaviour on the wire. In YAML it is a mapping with
// one action key, and the keys that action takes:
//
//	{status: 503}  {status: 429, retry_after: 2s}  {delay: 300ms}
//	{reset: true}  {hang: true}  {truncate: 1KiB}  {throttle: 64KiB}
//	{crash: {restart_after: 2s}}  {crash: {}}  {pause: 2s}
//
// The zero Action (nil) is "no action".
type Action struct{ injectors.Action }

// Kind names the action ("status"), or "" when there is none.
func (a Action) Kind() string {
	if a.Action == nil {
		return ""
	}
	return a.Action.Kind()
}

// String renders the action for people, or "" when there is none.
func (a Action) String() string {
	if a.Action == nil {
		return ""
	}
	return a.Action.String()
}

// RetryAfter is a Retry-After value (see injectors.RetryAfter).
type RetryAfter = injectors.RetryAfter

// Outcomes (Expect.Outcome).
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Expect holds the expectations of a scenario; each nil or empty field is
// not checked.
type Expect struct {
	// Outcome is the exit of the last run: OutcomeSuccess or
	// OutcomeFailure; "" = not checked.
	Outcome string `yaml:"outcome" json:"outcome,omitempty" jsonschema:"enum=success,enum=failure"`
	// Pages is the number of pages received.
	Pages *Cmp `yaml:"pages" json:"pages,omitempty"`
	// Alerts counts alerts (any notification that is not a resolve or an
	// acknowledgement) by severity.
	Alerts *AlertsExpect `yaml:"alerts" json:"alerts,omitempty"`
	// RetriesAfter bounds the retries that follow given statuses (fail-fast).
	RetriesAfter []*RetriesAfter `yaml:"retries_after" json:"retries_after,omitempty"`
	// AttemptsPerOperation compares the largest attempt count of any
	// operation (of Target, or of every target when Target is "").
	AttemptsPerOperation *TargetCmp `yaml:"attempts_per_operation" json:"attempts_per_operation,omitempty"`
	// Backoff judges the gaps between attempts.
	Backoff *BackoffExpect `yaml:"backoff" json:"backoff,omitempty"`
	// RetryAfterHonored: no retry came sooner than an announced Retry-After
	// (allowing 50 ms).
	RetryAfterHonored *RetryAfterHonored `yaml:"retry_after_honored" json:"retry_after_honored,omitempty"`
	// Artifacts counts duplicate artifacts.
	Artifacts *ArtifactsExpect `yaml:"artifacts" json:"artifacts,omitempty"`
	// RecoveryTime compares the scenario's recovery time (a duration
	// comparison).
	RecoveryTime *Cmp `yaml:"recovery_time" json:"recovery_time,omitempty"`
	// Duration compares the scenario's wall time (a duration comparison).
	Duration *Cmp `yaml:"duration" json:"duration,omitempty"`
	// Requests count requests by received status.
	Requests []*RequestsExpect `yaml:"requests" json:"requests,omitempty"`
}

// AlertsExpect compares alert counts by severity; nil = not checked.
type AlertsExpect struct {
	Info    *Cmp `yaml:"info" json:"info,omitempty"`
	Warning *Cmp `yaml:"warning" json:"warning,omitempty"`
	Page    *Cmp `yaml:"page" json:"page,omitempty"`
}

// RetriesAfter bounds the retries that follow an answer with one of
// Status.
type RetriesAfter struct {
	// Target narrows the count to one target; "" = every target.
	Target string `yaml:"target" json:"target,omitempty"`
	// Status is one status or a list (`status: 401` or `[401, 403]`).
	Status StatusList `yaml:"status,required" json:"status" jsonschema:"required"`
	// Max compares the number of such retries: a bare number is an upper
	// bound (`max: 0`), a comparison string is taken as written.
	Max AtMost `yaml:"max,required" json:"max" jsonschema:"required"`
}

// StatusList is one HTTP status or a list of them.
type StatusList []int

// Has reports whether l contains status.
func (l StatusList) Has(status int) bool {
	for _, s := range l {
		if s == status {
			return true
		}
	}
	return false
}

// TargetCmp is a count comparison, optionally narrowed to one target. In
// YAML it is a comparison (`3` meaning ==3, or `"<=5"`) or the long form
// `{target: storage, max: 5}`, where a bare number under max is an upper
// bound (<=5) like everywhere a key is called max.
type TargetCmp struct {
	// Target narrows to one target; "" = every target.
	Target string
	// Cmp is the comparison (a count).
	Cmp Cmp
}

// BackoffExpect judges backoff between attempts of each operation. Nil
// fields are not checked.
type BackoffExpect struct {
	// Target narrows to one target; "" = every target.
	Target string `yaml:"target" json:"target,omitempty"`
	// Jitter true: delays must be jittered (false: must be deterministic).
	Jitter *bool `yaml:"jitter" json:"jitter,omitempty"`
	// Growing true: delays must grow (false: must not grow).
	Growing *bool `yaml:"growing" json:"growing,omitempty"`
}

// RetryAfterHonored is `retry_after_honored: true` or the long form
// `{target: storage, honored: true}`.
type RetryAfterHonored struct {
	// Target narrows to one target; "" = every target.
	Target string
	// Honored is the expected truth of "no retry came too early".
	Honored bool
}

// ArtifactsExpect counts duplicate artifacts in a bucket.
type ArtifactsExpect struct {
	// Target is the minio target listed; defaults to the first minio
	// target in file order (filled in by LoadFile).
	Target string `yaml:"target" json:"target,omitempty"`
	// Bucket is the artifact bucket; required, one of the target's buckets.
	Bucket string `yaml:"bucket,required" json:"bucket" jsonschema:"required"`
	// Prefix limits the listing to keys with this prefix.
	Prefix string `yaml:"prefix" json:"prefix,omitempty"`
	// Kinds are globs matched against keys' base names; see DESIGN
	// "Duplicates". Default none (only extra versions count).
	Kinds []string `yaml:"kinds" json:"kinds,omitempty"`
	// Duplicates compares the number of duplicates. Nil = not checked...
	// but the usual value is 0.
	Duplicates *Cmp `yaml:"duplicates" json:"duplicates,omitempty"`
}

// RequestsExpect counts the requests of a target whose received status is
// Status.
type RequestsExpect struct {
	// Target narrows to one target; "" = every target.
	Target string `yaml:"target" json:"target,omitempty"`
	// Status is the received status (0 = none arrived). Required.
	Status int `yaml:"status,required" json:"status" jsonschema:"required"`
	// Count compares the number of such requests. Required.
	Count Cmp `yaml:"count,required" json:"count" jsonschema:"required"`
}

// Size is a number of bytes. In YAML it is a plain integer or a string with
// a unit: B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000),
// e.g. 4MiB, "512 KiB", 1000.
type Size = injectors.Size

// Comparison operators (Cmp.Op).
const (
	OpEQ = "=="
	OpLE = "<="
	OpGE = ">="
	OpLT = "<"
	OpGT = ">"
)

// AtMost is the value of a key called max: a bare number is an upper bound
// (`max: 3` means "<=3"); a comparison string ("==3", ">=1") is taken as
// written.
type AtMost struct{ Cmp }

// Cmp is a comparison of a count or of a duration. In YAML it is a number
// or a duration (meaning ==), or a string with an operator: "<=3", ">=1",
// "<10s", "==0", ">2".
type Cmp struct {
	// Op is one of OpEQ, OpLE, OpGE, OpLT, OpGT.
	Op string
	// N is the count compared against when IsDuration is false.
	N int64
	// D is the duration compared against when IsDuration is true.
	D time.Duration
	// IsDuration says the right-hand side was written as a duration.
	IsDuration bool
}
