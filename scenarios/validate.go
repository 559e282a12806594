package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/internal/boundedfile"
	"github.com/gameday/gameday/internal/glob"
	"github.com/gameday/gameday/internal/strictyaml"
)

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9-]+$`)
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	envRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	runIDRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	paramRE  = regexp.MustCompile(`^\{[A-Za-z_][A-Za-z0-9_]*\}$`)
	s3CodeRE = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// harnessVars are the GAMEDAY_* variables the harness sets (the contract
// is WorkloadEnvironment). A target whose GAMEDAY_<NAME>_URL, or whose
// GAMEDAY_<NAME>, equals one of them is rejected.
func harnessVars() []string {
	var out []string
	for _, n := range EnvNames(EnvSet) {
		if strings.HasPrefix(n, "GAMEDAY_") {
			out = append(out, n)
		}
	}
	return out
}

// Limits on what a scenario may ask for. They are not physical limits but
// guards against typos that would make a run write or schedule far more
// than any game day needs (e.g. `size: 500GiB` seeds half a terabyte).
const (
	// MaxObjectSize caps one seed object (size or from_file).
	MaxObjectSize Size = 1 << 30
	// MaxRuns caps workload.runs.
	MaxRuns = 1000
	// MaxRestarts caps workload.restarts.
	MaxRestarts = 1000
	// MaxTimeout caps the scenario timeout and every duration of a fault
	// or a stub route (delay, pause, restart_after, retry_after, after,
	// until).
	MaxTimeout = 7 * 24 * time.Hour
	// MaxSchedule caps the logical time the scheduled runs span, (runs -
	// 1) × every: 100 years (of 365 days), so GAMEDAY_SCHEDULED_AT stays
	// a real RFC 3339 time.
	MaxSchedule = 100 * 365 * 24 * time.Hour
	// MaxCount caps a fault's skip, every and times.
	MaxCount = 1_000_000
)

// atMost reports d on path when it exceeds limit.
func (v *validator) atMost(path string, d *time.Duration, limit time.Duration) {
	if d != nil && *d > limit {
		v.errorf(path, "must be at most %s, got %s", limit, *d)
	}
}

type validator struct {
	doc        *strictyaml.Doc
	dir        string // the scenario file's folder, for relative paths
	sc         *Scenario
	faultsOnly bool // LoadFaults: no targets, no workload
	errs       strictyaml.Errors
}

func (v *validator) errorf(path, format string, args ...any) {
	e := v.doc.Errorf(path, format, args...)
	if path != "" {
		e.Msg = path + ": " + e.Msg
	}
	v.errs = append(v.errs, e)
}

// relevant drops validation errors about a value whose decoding already
// failed (at the same path or below it), which would only repeat them.
func (v *validator) relevant(decodeErrs strictyaml.Errors) strictyaml.Errors {
	var out strictyaml.Errors
	for _, e := range v.errs {
		shadowed := false
		for _, d := range decodeErrs {
			if d.Path == e.Path || under(d.Path, e.Path) {
				shadowed = true
				break
			}
		}
		if !shadowed {
			out = append(out, e)
		}
	}
	return out
}

// under reports whether path lies inside parent.
func under(path, parent string) bool {
	if parent == "" {
		return path != ""
	}
	return strings.HasPrefix(path, parent+".") || strings.HasPrefix(path, parent+"[")
}

func (v *validator) scenario() {
	sc := v.sc
	if v.doc.Has("name") && !nameRE.MatchString(sc.Name) {
		v.errorf("name", "%q must use only a-z, 0-9 and -", sc.Name)
	}
	for i, t := range sc.Tags {
		if strings.TrimSpace(t) == "" {
			v.errorf(strictyaml.Index("tags", i), "must not be empty")
		}
	}
	if !v.doc.Has("timeout") {
		sc.Timeout = DefaultTimeout
	} else if sc.Timeout <= 0 {
		v.errorf("timeout", "must be positive, got %s", sc.Timeout)
		sc.Timeout = DefaultTimeout
	} else if sc.Timeout > MaxTimeout {
		v.errorf("timeout", "must be at most %s, got %s", MaxTimeout, sc.Timeout)
		sc.Timeout = MaxTimeout
	}
	if e := sc.EvidenceRuns; e != nil && (*e < 0 || *e > MaxEvidenceRuns) {
		v.errorf("evidence_runs", "must be 0..%d, got %d", MaxEvidenceRuns, *e)
	}
	v.targets()
	v.workload()
	v.matrix()
	v.faults(sc.Faults)
	v.expect()
}

func (v *validator) targets() {
	if v.doc.Has("targets") && len(v.sc.Targets) == 0 {
		v.errorf("targets", "needs at least one target")
	}
	envOwner := map[string]string{}
	for _, t := range v.sc.Targets {
		p := strictyaml.Join("targets", t.Name)
		switch {
		case t.Name == WorkloadTarget:
			v.errorf(p, "%q is reserved for faults on the workload; choose another target name", t.Name)
		case !nameRE.MatchString(t.Name):
			v.errorf(p, "target name %q must use only a-z, 0-9 and -", t.Name)
		default:
			env := t.EnvVar()
			for _, h := range harnessVars() {
				if env == h || "GAMEDAY_"+strings.TrimSuffix(strings.TrimPrefix(env, "GAMEDAY_"), "_URL") == h {
					v.errorf(p, "target name %q clashes with the harness variable %s; choose another name", t.Name, h)
				}
			}
			if other, ok := envOwner[env]; ok {
				v.errorf(p, "target name %q gives the same variable %s as target %q", t.Name, env, other)
			}
			envOwner[env] = t.Name
		}
		switch t.Kind {
		case KindMinIO:
			v.minio(p, t)
		case KindStub:
			v.stub(p, t)
		case "":
			// missing kind is a decode error
		default:
			v.errorf(p+".kind", "must be minio or stub, got %q", t.Kind)
		}
	}
}

func (v *validator) minio(p string, t *Target) {
	if len(t.Routes) > 0 {
		v.errorf(p+".routes", "only stub targets have routes")
	}
	seen := map[string]bool{}
	for i, b := range t.Buckets {
		bp := strictyaml.Index(p+".buckets", i)
		if !bucketRE.MatchString(b) || strings.Contains(b, "..") {
			v.errorf(bp, "invalid bucket name %q: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit", b)
		}
		if seen[b] {
			v.errorf(bp, "bucket %q is listed twice", b)
		}
		seen[b] = true
	}
	keys := map[string]bool{}
	for i, o := range t.Objects {
		op := strictyaml.Index(p+".objects", i)
		if o == nil {
			v.errorf(op, "expected an object {bucket, key, size|content|from_file}")
			continue
		}
		if o.Bucket != "" && !seen[o.Bucket] {
			v.errorf(op+".bucket", "bucket %q is not among the target's buckets (%s)", o.Bucket, list(t.Buckets))
		}
		if v.doc.Has(op+".key") && (o.Key == "" || strings.HasPrefix(o.Key, "/")) {
			v.errorf(op+".key", "must be a non-empty key not starting with /")
		}
		if keys[o.Bucket+"/"+o.Key] {
			v.errorf(op+".key", "object %s/%s is written twice", o.Bucket, o.Key)
		}
		keys[o.Bucket+"/"+o.Key] = true
		n := 0
		for _, k := range []string{"size", "content", "from_file"} {
			if v.doc.Has(op + "." + k) {
				n++
			}
		}
		if n != 1 {
			v.errorf(op, "needs exactly one of size, content and from_file, got %d", n)
		}
		if o.Size != nil && *o.Size > MaxObjectSize {
			v.errorf(op+".size", "%s is larger than a seed object may be (at most %s)", *o.Size, MaxObjectSize)
		}
		if o.FromFile != "" {
			o.FromFile = v.existingFile(op+".from_file", o.FromFile, int64(MaxObjectSize))
		} else if v.doc.Has(op + ".from_file") {
			v.errorf(op+".from_file", "must not be empty")
		}
	}
}

func (v *validator) stub(p string, t *Target) {
	if len(t.Buckets) > 0 {
		v.errorf(p+".buckets", "only minio targets have buckets")
	}
	if len(t.Objects) > 0 {
		v.errorf(p+".objects", "only minio targets have objects")
	}
	v.routes(p+".routes", t.Routes)
}

// routes checks the routes of a stub target (or of a `gameday stub` routes
// file) at path p.
func (v *validator) routes(p string, routes []*Route) {
	for i, r := range routes {
		rp := strictyaml.Index(p, i)
		if r == nil {
			v.errorf(rp, "expected a route {method, path, status, ...}")
			continue
		}
		if v.doc.Has(rp + ".path") {
			v.routePath(rp+".path", r.Path)
		}
		if !v.doc.Has(rp + ".status") {
			r.Status = 200
		} else if r.Status < 100 || r.Status > 599 {
			v.errorf(rp+".status", "invalid HTTP status %d: want 100..599", r.Status)
		}
		if v.doc.Has(rp+".json") && v.doc.Has(rp+".body") {
			v.errorf(rp+".body", "a route has json or body, not both")
		}
		if r.Delay < 0 {
			v.errorf(rp+".delay", "must not be negative, got %s", r.Delay)
		}
		v.atMost(rp+".delay", &r.Delay, MaxTimeout)
	}
}

func (v *validator) routePath(p, path string) {
	if !strings.HasPrefix(path, "/") {
		v.errorf(p, "%q must start with /", path)
		return
	}
	for _, seg := range strings.Split(path, "/") {
		if strings.ContainsAny(seg, "{}") && !paramRE.MatchString(seg) {
			v.errorf(p, "segment %q: a parameter is a whole segment written {name}", seg)
		}
	}
}

// existingFile resolves a relative path against the scenario's folder and
// checks that it names a regular file (after following links) of at most
// max bytes (max < 0: any size), without reading it; it returns the
// absolute path.
func (v *validator) existingFile(p, path string, max int64) string {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(v.dir, path)
	}
	abs = filepath.Clean(abs)
	err := boundedfile.Check(abs, max)
	var be *boundedfile.Error
	switch {
	case err == nil:
	case errors.Is(err, boundedfile.ErrTooLarge):
		size := int64(-1)
		if fi, serr := os.Stat(abs); serr == nil {
			size = fi.Size()
		}
		v.errorf(p, "%q is %d bytes, larger than a seed object may be (at most %s)", filepath.Base(abs), size, Size(max))
	case errors.As(err, &be):
		v.errorf(p, "%q: %s", path, be.Reason)
	default:
		v.errorf(p, "%q: %s", path, statMessage(err))
	}
	return abs
}

func (v *validator) workload() {
	w := &v.sc.Workload
	const p = "workload"
	hasPipeline, hasExec := v.doc.Has(p+".pipeline"), v.doc.Has(p+".exec")
	switch {
	case hasPipeline && hasExec:
		v.errorf(p, "has both pipeline and exec; give exactly one")
	case !hasPipeline && !hasExec && v.doc.Has(p):
		v.errorf(p, "needs pipeline or exec")
	case hasPipeline && w.Pipeline != PipelineReference:
		v.errorf(p+".pipeline", "unknown pipeline %q; the only one is %q", w.Pipeline, PipelineReference)
	case hasExec && (len(w.Exec) == 0 || w.Exec[0] == ""):
		v.errorf(p+".exec", "needs a command, e.g. [python3, train.py]")
	}
	if w.Policy != "" {
		// The policy's own size cap is checked when policies.Load reads it.
		w.Policy = v.existingFile(p+".policy", w.Policy, -1)
	} else if v.doc.Has(p + ".policy") {
		v.errorf(p+".policy", "must not be empty")
	}
	for _, k := range sortedKeys(w.Env) {
		switch {
		case !envRE.MatchString(k):
			v.errorf(p+".env."+k, "invalid environment variable name %q", k)
		case v.sc.SetByHarness(k):
			v.errorf(p+".env."+k, "%s is set by the harness for every run and cannot be overridden", k)
		case RemovedFromWorkloads(k):
			v.errorf(p+".env."+k, "%s is removed from every workload's environment (see the workload environment in docs/scenarios.md)", k)
		}
	}
	if v.doc.Has(p+".run_id") && !runIDRE.MatchString(w.RunID) {
		v.errorf(p+".run_id", "%q must use only letters, digits, '.', '_' and '-'", w.RunID)
	}
	if !v.doc.Has(p + ".runs") {
		w.Runs = 1
	} else if w.Runs < 1 {
		v.errorf(p+".runs", "must be at least 1, got %d", w.Runs)
	} else if w.Runs > MaxRuns {
		v.errorf(p+".runs", "at most %d scheduled runs, got %d", MaxRuns, w.Runs)
	}
	if w.Restarts < 0 {
		v.errorf(p+".restarts", "must not be negative, got %d", w.Restarts)
	} else if w.Restarts > MaxRestarts {
		v.errorf(p+".restarts", "at most %d restarts, got %d", MaxRestarts, w.Restarts)
	}
	if w.Every < 0 {
		v.errorf(p+".every", "must not be negative, got %s", w.Every)
	} else if w.Every%time.Second != 0 {
		v.errorf(p+".every", "%s is not a whole number of seconds: GAMEDAY_SCHEDULED_AT carries whole seconds (RFC 3339), so runs would not be spaced by it", w.Every)
	} else if w.Every > 0 && w.Runs > 1 && w.Runs <= MaxRuns && int64(w.Runs-1) > int64(MaxSchedule/w.Every) {
		// Divided, not multiplied: (runs - 1) × every may overflow.
		v.errorf(p+".every", "%d runs %s apart span more than %s (100 years) of scheduled time", w.Runs, w.Every, MaxSchedule)
	}
	if v.doc.Has(p+".sla") && w.SLA <= 0 {
		v.errorf(p+".sla", "must be positive, got %s", w.SLA)
	}
	if !v.doc.Has(p + ".timeout") {
		w.Timeout = v.sc.Timeout
	} else if w.Timeout <= 0 {
		v.errorf(p+".timeout", "must be positive, got %s", w.Timeout)
	} else if t := v.sc.Timeout; w.Timeout > t {
		v.errorf(p+".timeout", "%s is longer than the scenario timeout (%s), which stops the run first; it could never be reached", w.Timeout, t)
	}
}

func (v *validator) faults(faults []*Fault) {
	names := map[string]bool{}
	for i, f := range faults {
		p := strictyaml.Index("faults", i)
		if f == nil {
			v.errorf(p, "expected a fault {name, target, action, ...}")
			continue
		}
		if v.doc.Has(p+".name") && !nameRE.MatchString(f.Name) {
			v.errorf(p+".name", "%q must use only a-z, 0-9 and -", f.Name)
		} else if names[f.Name] {
			v.errorf(p+".name", "fault name %q is used twice", f.Name)
		}
		names[f.Name] = true
		v.faultTarget(p, f)
		v.action(p, f)
		v.schedule(p, f)
	}
}

func (v *validator) faultTarget(p string, f *Fault) {
	switch {
	case v.faultsOnly:
		if f.Target == WorkloadTarget {
			v.errorf(p+".target", "faults on the workload need a scenario; gameday proxy has no workload")
		}
		if f.Via != "" {
			v.errorf(p+".via", "only for faults on the workload")
		}
		return
	case !v.doc.Has(p + ".target"):
		v.errorf(p, "missing required key \"target\"")
	case f.Target == WorkloadTarget:
		if f.Via != "" && v.sc.Target(f.Via) == nil {
			v.errorf(p+".via", "unknown target %q (targets: %s)", f.Via, v.targetNames())
		}
		if f.Via != "" && f.Match == nil {
			v.errorf(p+".via", "only with match: a fault without match fires on a timer, not on requests")
		}
	case v.sc.Target(f.Target) == nil:
		v.errorf(p+".target", "unknown target %q (targets: %s)", f.Target, v.targetNames())
	default:
		if f.Via != "" {
			v.errorf(p+".via", "only for faults on the workload (target: workload)")
		}
	}
}

// targetNames lists the targets a fault may name: the scenario's targets and
// the workload, each once (a target wrongly named "workload" is reported on
// its own and not listed twice).
func (v *validator) targetNames() string {
	names := make([]string, 0, len(v.sc.Targets)+1)
	for _, t := range v.sc.Targets {
		names = append(names, t.Name)
	}
	return list(append(names, WorkloadTarget))
}

// expectTargetNames lists the targets an expectation may name: the
// scenario's targets without the workload, each once.
func (v *validator) expectTargetNames() string {
	names := make([]string, 0, len(v.sc.Targets))
	for _, t := range v.sc.Targets {
		if t.Name != WorkloadTarget {
			names = append(names, t.Name)
		}
	}
	return list(names)
}

// action runs the action's own validation in the fault's context (the
// target's kind, the workload, the duration cap) and positions its
// problems.
func (v *validator) action(p string, f *Fault) {
	ap := p + ".action"
	if f.Action.Action == nil {
		return // missing or undecodable: reported by decoding
	}
	c := injectors.ActionContext{Workload: f.Target == WorkloadTarget, MaxDuration: MaxTimeout}
	if t := v.sc.Target(f.Target); t != nil {
		c.Kind = ProxyKind(t.Kind)
	}
	for _, pr := range f.Action.Validate(c) {
		path := ap
		if pr.Key != "" {
			path = ap + "." + pr.Key
		}
		v.errorf(path, "%s", pr.Msg)
	}
}

func (v *validator) schedule(p string, f *Fault) {
	if f.On == "" {
		f.On = OnRequest
	} else if f.On != OnRequest && f.On != OnResponse {
		v.errorf(p+".on", "must be request or response, got %q", f.On)
	}
	if f.Match != nil {
		mp := p + ".match"
		if v.doc.Has(mp+".path") && !strings.HasPrefix(f.Match.Path, "/") && !strings.HasPrefix(f.Match.Path, "*") {
			v.errorf(mp+".path", "%q must start with / or *", f.Match.Path)
		} else if err := glob.Validate(f.Match.Path); v.doc.Has(mp+".path") && err != nil {
			v.errorf(mp+".path", "%v", err)
		}
	}
	if f.IsTimer() {
		for _, k := range []string{"until", "skip", "every", "times", "probability"} {
			if v.doc.Has(p + "." + k) {
				v.errorf(p+"."+k, "not for a timer fault (crash or pause without match fires once, at after)")
			}
		}
		if f.On == OnResponse {
			v.errorf(p+".on", "a timer fault (crash or pause without match) has no response to wait for")
		}
	}
	if f.After != nil && *f.After < 0 {
		v.errorf(p+".after", "must not be negative, got %s", *f.After)
	}
	if f.Until != nil && *f.Until <= 0 {
		v.errorf(p+".until", "must be positive, got %s", *f.Until)
	}
	if f.After != nil && f.Until != nil && *f.After >= *f.Until {
		v.errorf(p+".until", "must be later than after (%s), got %s", *f.After, *f.Until)
	}
	if t := v.sc.Timeout; t > 0 && f.After != nil && *f.After >= t {
		v.errorf(p+".after", "%s is not before the scenario timeout (%s); the fault could never fire", *f.After, t)
	}
	v.atMost(p+".after", f.After, MaxTimeout)
	v.atMost(p+".until", f.Until, MaxTimeout)
	for _, k := range []struct {
		name string
		n    *int
	}{{"skip", f.Skip}, {"every", f.Every}, {"times", f.Times}} {
		if k.n != nil && *k.n <= 0 {
			v.errorf(p+"."+k.name, "must be positive, got %d", *k.n)
		} else if k.n != nil && *k.n > MaxCount {
			v.errorf(p+"."+k.name, "must be at most %d, got %d", MaxCount, *k.n)
		}
	}
	if pr := f.Probability; pr != nil {
		switch {
		case *pr < 0 || *pr > 1 || *pr != *pr:
			v.errorf(p+".probability", "must be between 0 and 1, got %v", *pr)
		case *pr == 0:
			v.errorf(p+".probability", "0 never injects; remove the fault or raise it")
		}
	}
	v.optional(p, f)
}

// optional asks a fault that may legitimately never inject, by its own
// schedule, to say whether faults_fired should insist on it.
func (v *validator) optional(p string, f *Fault) {
	if v.faultsOnly || f.IsTimer() || v.doc.Has(p+".optional") {
		return // a timer fault takes no skip, until or probability
	}
	var why []string
	if f.Probability != nil && *f.Probability < 1 {
		why = append(why, "probability")
	}
	if f.Skip != nil {
		why = append(why, "skip")
	}
	if f.Until != nil {
		why = append(why, "until")
	}
	if len(why) > 0 {
		v.errorf(p, "may never inject (%s), so faults_fired cannot require it: add optional: true (or optional: false to insist it fires)", strings.Join(why, ", "))
	}
}

func (v *validator) expect() {
	e := &v.sc.Expect
	const p = "expect"
	if e.Outcome != "" && e.Outcome != OutcomeSuccess && e.Outcome != OutcomeFailure {
		v.errorf(p+".outcome", "must be success or failure, got %q", e.Outcome)
	}
	v.count(p+".pages", e.Pages)
	if a := e.Alerts; a != nil {
		v.count(p+".alerts.info", a.Info)
		v.count(p+".alerts.warning", a.Warning)
		v.count(p+".alerts.page", a.Page)
	}
	for i, r := range e.RetriesAfter {
		rp := strictyaml.Index(p+".retries_after", i)
		if r == nil {
			v.errorf(rp, "expected {status, max}")
			continue
		}
		v.expectTarget(rp, r.Target)
		if v.doc.Has(rp + ".max") {
			v.count(rp+".max", &r.Max.Cmp)
		}
	}
	if a := e.AttemptsPerOperation; a != nil {
		v.expectTarget(p+".attempts_per_operation", a.Target)
		v.count(p+".attempts_per_operation", &a.Cmp)
	}
	if b := e.Backoff; b != nil {
		v.expectTarget(p+".backoff", b.Target)
		if b.Jitter == nil && b.Growing == nil {
			v.errorf(p+".backoff", "needs jitter or growing")
		}
	}
	if r := e.RetryAfterHonored; r != nil {
		v.expectTarget(p+".retry_after_honored", r.Target)
	}
	if a := e.Artifacts; a != nil {
		v.artifacts(p+".artifacts", a)
	}
	v.duration(p+".recovery_time", e.RecoveryTime)
	v.duration(p+".duration", e.Duration)
	v.withinTimeout(p+".recovery_time", e.RecoveryTime)
	v.withinTimeout(p+".duration", e.Duration)
	for i, r := range e.Requests {
		rp := strictyaml.Index(p+".requests", i)
		if r == nil {
			v.errorf(rp, "expected {target, status, count}")
			continue
		}
		v.expectTarget(rp, r.Target)
		if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
			v.errorf(rp+".status", "invalid HTTP status %d: want 100..599, or 0 for none", r.Status)
		}
		if v.doc.Has(rp + ".count") {
			v.count(rp+".count", &r.Count)
		}
	}
}

func (v *validator) artifacts(p string, a *ArtifactsExpect) {
	var t *Target
	if a.Target == "" {
		t = v.sc.FirstMinIO()
		if t == nil {
			v.errorf(p, "no minio target to list artifacts of")
			return
		}
		a.Target = t.Name
	} else {
		t = v.sc.Target(a.Target)
		switch {
		case t == nil:
			v.errorf(p+".target", "unknown target %q (targets: %s)", a.Target, v.targetNames())
			return
		case t.Kind != KindMinIO:
			v.errorf(p+".target", "target %q is not a minio target", a.Target)
			return
		}
	}
	if a.Bucket != "" && !slices.Contains(t.Buckets, a.Bucket) {
		v.errorf(p+".bucket", "bucket %q is not among target %q's buckets (%s)", a.Bucket, t.Name, list(t.Buckets))
	}
	for i, k := range a.Kinds {
		if err := glob.Validate(k); err != nil {
			v.errorf(strictyaml.Index(p+".kinds", i), "%v", err)
		}
	}
	v.count(p+".duplicates", a.Duplicates)
}

func (v *validator) expectTarget(p, name string) {
	if name == "" {
		return
	}
	if v.sc.Target(name) == nil {
		v.errorf(p+".target", "unknown target %q (targets: %s)", name, v.expectTargetNames())
	}
}

func (v *validator) count(p string, c *Cmp) {
	if c != nil && c.IsDuration {
		v.errorf(p, "want a count comparison such as \"<=3\", got the duration %q", c.String())
	} else {
		v.neverHolds(p, c)
	}
}

func (v *validator) duration(p string, c *Cmp) {
	if c != nil && !c.IsDuration && c.N != 0 {
		v.errorf(p, "want a duration comparison such as \"<=10s\", got the count %q", c.String())
	} else {
		v.neverHolds(p, c)
	}
}

// neverHolds rejects "<0" and "<0s": counts and durations are never
// negative.
func (v *validator) neverHolds(p string, c *Cmp) {
	if c != nil && c.Op == OpLT && c.N == 0 && c.D == 0 {
		what := "a count"
		if c.IsDuration {
			what = "a duration"
		}
		v.errorf(p, "%q can never hold: %s is never negative", c.String(), what)
	}
}

// withinTimeout rejects a duration comparison whose lower bound lies past
// the scenario timeout: the timeout stops the scenario, so its duration (and
// the recovery time inside it) never exceeds it.
func (v *validator) withinTimeout(p string, c *Cmp) {
	t := v.sc.Timeout
	if c == nil || !c.IsDuration || t <= 0 {
		return
	}
	if (c.Op == OpGT && c.D >= t) || ((c.Op == OpGE || c.Op == OpEQ) && c.D > t) {
		v.errorf(p, "%q can never hold: the scenario timeout (%s) stops the scenario first", c.String(), t)
	}
}

// list joins names for a message, in order, each name once: a list the
// scenario itself repeats (buckets: [a, a]) is reported on its own and not
// echoed twice in every other message.
func list(names []string) string {
	var uniq []string
	for _, n := range names {
		if !slices.Contains(uniq, n) {
			uniq = append(uniq, n)
		}
	}
	if len(uniq) == 0 {
		return "none"
	}
	return strings.Join(uniq, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
