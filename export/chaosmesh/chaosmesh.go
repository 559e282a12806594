// Package chaosmesh exports a scenario's faults as Chaos Mesh resources,
// built from Chaos Mesh's own Go API types (chaos-mesh.org/v1alpha1), so a
// game day can inject them into real services on a cluster.
//
// Each fault becomes the resource that does the same thing there:
//
//	status         HTTPChaos replace.code (+ the protocol-true body, and
//	               Retry-After through patch.headers), on the response
//	delay, hang    HTTPChaos delay (hang: for the scenario's timeout)
//	reset          HTTPChaos abort
//	throttle       NetworkChaos bandwidth
//	crash, pause   PodChaos (pod-failure for a target, pod-kill for the
//	               workload)
//
// A fault without after or until is a standalone object. Faults with them
// become branches of one Workflow (Suspend for after, deadlines for how
// long), and a workload of several runs spaced by every becomes a Schedule
// of type Workflow. What Chaos Mesh cannot express (times, skip, every Nth,
// probability and its seed, truncate, query matching, a crash triggered by
// a request ...) is returned as Losses and kept as gameday/ annotations on
// the objects; it is never dropped silently.
package chaosmesh

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/gameday/gameday/injectors"
	"github.com/gameday/gameday/scenarios"
)

// Object is an exported Chaos Mesh resource.
type Object interface {
	metav1.Object
	runtime.Object
}

// Loss is something of a scenario that Chaos Mesh cannot express.
type Loss struct {
	// Fault is the fault's name; "" for the scenario as a whole.
	Fault string
	// Field is the scenario key, e.g. times, probability, match.query,
	// workload.runs.
	Field string
	// Value is the key's value as written.
	Value string
	// Why says what Chaos Mesh does instead.
	Why string
}

// String renders the loss as "fault NAME: FIELD: VALUE: WHY".
func (l Loss) String() string {
	at := "scenario"
	if l.Fault != "" {
		at = "fault " + l.Fault
	}
	return fmt.Sprintf("%s: %s: %s: %s", at, l.Field, l.Value, l.Why)
}

// Result is a scenario exported.
type Result struct {
	// Objects are standalone chaos objects in fault order, then the
	// Workflow or Schedule, if any.
	Objects []Object
	// Losses are what the objects do not express, in fault order.
	Losses []Loss
}

// Annotation keys the objects carry.
const (
	AnnotationPrefix   = "gameday/"
	AnnotationScenario = AnnotationPrefix + "scenario"
	AnnotationFault    = AnnotationPrefix + "fault"
	AnnotationSeed     = AnnotationPrefix + "seed"
)

// Export converts sc's faults. It fails only on bad options (see Options);
// what cannot be expressed is in Result.Losses.
func Export(sc *scenarios.Scenario, opts Options) (*Result, error) {
	if err := opts.check(sc); err != nil {
		return nil, err
	}
	x := &exporter{sc: sc, opts: opts, window: sc.Timeout, losses: map[string][]Loss{}}
	w := sc.Workload
	scheduled := w.Runs > 1 && w.Every > 0
	if scheduled && w.Timeout > 0 {
		x.window = w.Timeout // each scheduled run's faults last as long as the run may
	}
	res := &Result{}
	var timed []branch
	for _, f := range sc.Faults {
		b := x.convert(f)
		if scheduled || f.After != nil || f.Until != nil {
			timed = append(timed, b)
			continue
		}
		for _, c := range b.chaos {
			res.Objects = append(res.Objects, x.standalone(f, c))
		}
	}
	if len(timed) > 0 {
		spec, err := x.workflow(timed)
		if err != nil {
			return nil, err
		}
		meta := x.meta(objectName(sc.Name, ""), timed)
		if scheduled {
			x.lose(nil, "workload.runs", strconv.Itoa(w.Runs), fmt.Sprintf(
				"a Schedule starts the faults every %s (the first time %s after it is applied) until it is deleted: delete it after %d runs",
				duration(w.Every), duration(w.Every), w.Runs))
			meta.Annotations[annotationKey("", "workload.runs")] = strconv.Itoa(w.Runs)
			res.Objects = append(res.Objects, &v1alpha1.Schedule{
				TypeMeta:   typeMeta(v1alpha1.KindSchedule),
				ObjectMeta: meta,
				Spec: v1alpha1.ScheduleSpec{
					Schedule:          "@every " + duration(w.Every),
					ConcurrencyPolicy: v1alpha1.ForbidConcurrent,
					HistoryLimit:      w.Runs,
					Type:              v1alpha1.ScheduleTypeWorkflow,
					ScheduleItem:      v1alpha1.ScheduleItem{Workflow: spec},
				},
			})
		} else {
			res.Objects = append(res.Objects, &v1alpha1.Workflow{
				TypeMeta:   typeMeta(v1alpha1.KindWorkflow),
				ObjectMeta: meta,
				Spec:       *spec,
			})
		}
	}
	for _, f := range sc.Faults {
		res.Losses = append(res.Losses, x.losses[f.Name]...)
	}
	res.Losses = append(res.Losses, x.losses[""]...)
	return res, nil
}

type exporter struct {
	sc     *scenarios.Scenario
	opts   Options
	window time.Duration // how long a fault without an end lasts
	losses map[string][]Loss
}

// chaos is one Chaos Mesh experiment of a fault: exactly one spec is set.
type chaos struct {
	suffix string // tells apart the experiments of one fault (one per method)
	http   *v1alpha1.HTTPChaosSpec
	net    *v1alpha1.NetworkChaosSpec
	pod    *v1alpha1.PodChaosSpec
	// lasts, when positive, is how long the experiment must last (a
	// pod-failure standing for a crash or a pause); else it lasts as long
	// as the fault is active.
	lasts time.Duration
}

func (c chaos) templateType() v1alpha1.TemplateType {
	switch {
	case c.http != nil:
		return v1alpha1.TypeHTTPChaos
	case c.net != nil:
		return v1alpha1.TypeNetworkChaos
	}
	return v1alpha1.TypePodChaos
}

// branch is a fault converted: its experiments and when they are active.
type branch struct {
	fault *scenarios.Fault
	chaos []chaos
}

func (x *exporter) lose(f *scenarios.Fault, field, value, why string) {
	name := ""
	if f != nil {
		name = f.Name
	}
	x.losses[name] = append(x.losses[name], Loss{Fault: name, Field: field, Value: value, Why: why})
}

// convert turns a fault into experiments, recording what they lose.
func (x *exporter) convert(f *scenarios.Fault) branch {
	switch f.Action.Action.(type) {
	case *injectors.Crash, *injectors.Pause:
		return branch{f, []chaos{x.podChaos(f)}}
	case *injectors.Throttle:
		x.scheduleLosses(f)
		return branch{f, []chaos{x.networkChaos(f)}}
	}
	x.scheduleLosses(f)
	return branch{f, x.httpChaos(f)}
}

// scheduleLosses records the request-counting schedule keys.
func (x *exporter) scheduleLosses(f *scenarios.Fault) {
	if f.Skip != nil {
		x.lose(f, "skip", strconv.Itoa(*f.Skip), "Chaos Mesh injects from the first matching request on")
	}
	if f.Every != nil {
		x.lose(f, "every", strconv.Itoa(*f.Every), "Chaos Mesh injects on every matching request, not on every Nth")
	}
	if f.Times != nil {
		x.lose(f, "times", strconv.Itoa(*f.Times),
			"Chaos Mesh injects on every matching request while the experiment runs, with no count (bound it in time with after/until)")
	}
	if f.Probability != nil {
		why := "Chaos Mesh injects on every matching request, with no probability"
		if x.sc.Seed != nil {
			why += fmt.Sprintf(", and no seed: seed %d, which replays gameday's draws, has no counterpart", *x.sc.Seed)
		}
		x.lose(f, "probability", strconv.FormatFloat(*f.Probability, 'g', -1, 64), why)
	}
}

func (x *exporter) selector(target string) v1alpha1.PodSelector {
	return v1alpha1.PodSelector{
		Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
			Namespaces:     []string{x.opts.Namespace},
			LabelSelectors: x.opts.Selectors.For(target),
		}},
		// Every pod: gameday's proxy stands in front of the whole target.
		Mode: v1alpha1.AllMode,
	}
}

// safeMethods never change the upstream's state.
var safeMethods = []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace}

func (x *exporter) httpChaos(f *scenarios.Fault) []chaos {
	t := x.sc.Target(f.Target)
	base := v1alpha1.HTTPChaosSpec{
		PodSelector: x.selector(f.Target),
		Target:      v1alpha1.PodHttpRequest,
		Port:        x.opts.Ports.For(t.Name, t.Kind),
	}
	if f.On == scenarios.OnResponse {
		base.Target = v1alpha1.PodHttpResponse
	}
	var methods []string
	if m := f.Match; m != nil {
		methods = m.Method
		if m.Path != "" {
			base.Path = ptr(m.Path) // Chaos Mesh's * matches across '/' too, as gameday's
		}
		if len(m.Headers) > 0 {
			base.RequestHeaders = m.Headers
		}
		if len(m.Query) > 0 {
			x.lose(f, "match.query", formatMap(m.Query), "HTTPChaos cannot select requests by query parameter: it selects every request of the method and path")
		}
	}
	switch a := f.Action.Action.(type) {
	case *injectors.Status:
		if f.On != scenarios.OnResponse && mayWrite(methods) {
			x.lose(f, "on", scenarios.OnRequest, fmt.Sprintf(
				"Chaos Mesh replaces the status of the upstream's answer, so a write reaches %s before the client sees %d (as gameday's on: response)",
				f.Target, a.Code))
		}
		base.Target = v1alpha1.PodHttpResponse
		base.PodHttpChaosActions = x.statusActions(f, a, t, methods)
	case *injectors.Delay:
		base.Delay = ptr(duration(a.D))
	case *injectors.Hang:
		// Held until the client gives up or the scenario ends.
		base.Delay = ptr(duration(x.window))
	case *injectors.Reset:
		base.Abort = ptr(true)
	case *injectors.Truncate:
		x.lose(f, "truncate", strconv.FormatInt(int64(a.Bytes), 10)+"B",
			"Chaos Mesh cannot cut a body after N bytes: exported as an abort of the response (the client gets no answer at all)")
		base.Target = v1alpha1.PodHttpResponse
		base.Abort = ptr(true)
	}
	if len(methods) == 0 {
		return []chaos{{http: &base}}
	}
	var out []chaos
	for _, m := range methods {
		spec := base
		spec.Method = ptr(m)
		c := chaos{http: &spec}
		if len(methods) > 1 {
			c.suffix = strings.ToLower(m)
		}
		out = append(out, c)
	}
	return out
}

func mayWrite(methods []string) bool {
	if len(methods) == 0 {
		return true
	}
	for _, m := range methods {
		if !slices.Contains(safeMethods, m) {
			return true
		}
	}
	return false
}

// statusActions replace the answer's status and body with the error
// gameday's proxy would send (S3 XML for minio, JSON for stubs), and add
// Retry-After and the fault's headers.
func (x *exporter) statusActions(f *scenarios.Fault, st *injectors.Status, t *scenarios.Target, methods []string) v1alpha1.PodHttpChaosActions {
	kind := scenarios.ProxyKind(t.Kind)
	method, path := http.MethodGet, "/"
	if len(methods) > 0 {
		method = methods[0]
	}
	if f.Match != nil && f.Match.Path != "" {
		path = f.Match.Path
	}
	// A fixed clock: the same scenario exports the same bytes.
	h, body := injectors.ErrorAnswer(kind, st, method, path, time.Unix(0, 0).UTC())
	code := int32(st.Code)
	acts := v1alpha1.PodHttpChaosActions{Replace: &v1alpha1.PodHttpChaosReplaceActions{
		Code:    &code,
		Body:    body,
		Headers: map[string]string{"Content-Type": h.Get("Content-Type")},
	}}
	var patch [][]string
	if v := h.Get("Retry-After"); v != "" {
		patch = append(patch, []string{"Retry-After", v})
	}
	for _, k := range sortedKeys(st.Headers) {
		patch = append(patch, []string{k, st.Headers[k]})
	}
	if len(patch) > 0 {
		acts.Patch = &v1alpha1.PodHttpChaosPatchActions{Headers: patch}
	}
	return acts
}

func (x *exporter) networkChaos(f *scenarios.Fault) chaos {
	rate := int64(f.Action.Action.(*injectors.Throttle).Rate)
	if m := f.Match; m != nil && (len(m.Method) > 0 || m.Path != "" || len(m.Headers) > 0 || len(m.Query) > 0) {
		x.lose(f, "match", describeMatch(m), "NetworkChaos throttles every connection of the pods, not the matching requests")
	}
	return chaos{net: &v1alpha1.NetworkChaosSpec{
		PodSelector: x.selector(f.Target),
		Action:      v1alpha1.BandwidthAction,
		// Egress of the target's pods: the bodies they send back.
		Direction: v1alpha1.To,
		TcParameter: v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{
			Rate: strconv.FormatInt(rate, 10) + "bps", // tc: bytes per second
			// A queue of 20 MiB and a bucket of at least 1/50 s of the
			// rate (tc's token bucket needs rate/HZ at least).
			Limit:  20 << 20,
			Buffer: uint32(min(max(10000, rate/50), 1<<31)),
		}},
	}}
}

func (x *exporter) podChaos(f *scenarios.Fault) chaos {
	if f.Match != nil {
		why := "Chaos Mesh cannot act when a request arrives: exported on a timer, at after (or at once)"
		if f.Via != "" {
			why += ", whatever " + f.Via + " sees"
		}
		x.lose(f, "match", describeMatch(f.Match), why)
		if f.Times != nil && *f.Times > 1 {
			x.lose(f, "times", strconv.Itoa(*f.Times), "a timer fires once")
		}
	}
	spec := &v1alpha1.PodChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: x.selector(f.Target)}}
	c := chaos{pod: spec}
	crash, _ := f.Action.Action.(*injectors.Crash)
	switch a := f.Action.Action.(type) {
	case *injectors.Pause:
		x.lose(f, "pause", duration(a.For),
			"Chaos Mesh cannot freeze a process: exported as a pod-failure for as long (its clients are refused instead of held)")
		spec.Action, c.lasts = v1alpha1.PodFailureAction, a.For
	case nil:
	}
	switch {
	case spec.Action != "":
	case f.Target == scenarios.WorkloadTarget:
		// Killed, then restarted by its controller, as workload.restarts
		// restarts a crashed run.
		spec.Action = v1alpha1.PodKillAction
	case crash != nil && crash.RestartAfter != nil:
		spec.Action, c.lasts = v1alpha1.PodFailureAction, *crash.RestartAfter
	default:
		// Never restarted: down until the scenario ends, as gameday brings
		// crashed targets back only before observing.
		spec.Action, c.lasts = v1alpha1.PodFailureAction, x.window
	}
	return c
}

// standalone wraps one experiment of a fault with no after/until as an
// object of its own that lasts for the scenario's timeout.
func (x *exporter) standalone(f *scenarios.Fault, c chaos) Object {
	meta := x.meta(objectName(x.sc.Name+"-"+f.Name, c.suffix), []branch{{fault: f}})
	meta.Annotations[AnnotationFault] = f.Name
	lasts := ptr(duration(x.window))
	if c.lasts > 0 {
		lasts = ptr(duration(c.lasts))
	}
	switch {
	case c.http != nil:
		c.http.Duration = lasts
		return &v1alpha1.HTTPChaos{TypeMeta: typeMeta(v1alpha1.KindHTTPChaos), ObjectMeta: meta, Spec: *c.http}
	case c.net != nil:
		c.net.Duration = lasts
		return &v1alpha1.NetworkChaos{TypeMeta: typeMeta(v1alpha1.KindNetworkChaos), ObjectMeta: meta, Spec: *c.net}
	}
	if c.pod.Action == v1alpha1.PodFailureAction {
		c.pod.Duration = lasts
	}
	return &v1alpha1.PodChaos{TypeMeta: typeMeta(v1alpha1.KindPodChaos), ObjectMeta: meta, Spec: *c.pod}
}

// entryName is the workflow's entry template.
const entryName = "gameday-entry"

// workflow builds one Workflow running the faults' branches in parallel:
// each waits for its after (Suspend), then runs its experiments until its
// until or the end of the window (the deadline).
func (x *exporter) workflow(bs []branch) (*v1alpha1.WorkflowSpec, error) {
	spec := &v1alpha1.WorkflowSpec{Entry: entryName}
	entry := v1alpha1.Template{Name: entryName, Type: v1alpha1.TypeParallel}
	for _, b := range bs {
		f := b.fault
		var start time.Duration
		if f.After != nil {
			start = *f.After
		}
		active := x.window - start
		if f.Until != nil {
			active = *f.Until - start
		}
		if active <= 0 {
			active = x.window
		}
		step := f.Name
		if start > 0 {
			step = f.Name + "-inject"
		}
		var nodes []string
		for _, c := range b.chaos {
			name := step
			if c.suffix != "" {
				name = step + "-" + c.suffix
			}
			deadline := active
			if c.lasts > 0 {
				deadline = c.lasts
			}
			spec.Templates = append(spec.Templates, v1alpha1.Template{
				Name: name, Type: c.templateType(), Deadline: ptr(duration(deadline)),
				EmbedChaos: &v1alpha1.EmbedChaos{HTTPChaos: c.http, NetworkChaos: c.net, PodChaos: c.pod},
			})
			nodes = append(nodes, name)
		}
		if len(nodes) > 1 {
			spec.Templates = append(spec.Templates, v1alpha1.Template{Name: step, Type: v1alpha1.TypeParallel, Children: nodes})
		}
		if start > 0 {
			wait := f.Name + "-after"
			spec.Templates = append(spec.Templates,
				v1alpha1.Template{Name: wait, Type: v1alpha1.TypeSuspend, Deadline: ptr(duration(start))},
				v1alpha1.Template{Name: f.Name, Type: v1alpha1.TypeSerial, Children: []string{wait, step}})
		}
		entry.Children = append(entry.Children, f.Name)
	}
	spec.Templates = append([]v1alpha1.Template{entry}, spec.Templates...)
	seen := map[string]bool{}
	for _, t := range spec.Templates {
		if seen[t.Name] {
			return nil, fmt.Errorf("workflow of %s: two steps named %q: rename the fault", x.sc.Name, t.Name)
		}
		seen[t.Name] = true
	}
	return spec, nil
}

// meta names an object and annotates it with the scenario and with what
// the faults it carries lose.
func (x *exporter) meta(name string, bs []branch) metav1.ObjectMeta {
	ann := map[string]string{AnnotationScenario: x.sc.Name}
	if x.sc.Seed != nil {
		ann[AnnotationSeed] = strconv.FormatInt(*x.sc.Seed, 10)
	}
	for _, b := range bs {
		for _, l := range x.losses[b.fault.Name] {
			ann[annotationKey(l.Fault, l.Field)] = l.Value
		}
	}
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   x.opts.Namespace,
		Labels:      map[string]string{"app.kubernetes.io/managed-by": "gameday"},
		Annotations: ann,
	}
}

// annotationKey is gameday/FAULT.FIELD (gameday/FIELD for the scenario),
// the fault's name shortened with a hash when the key's name part would
// pass 63 characters.
func annotationKey(fault, field string) string {
	if fault == "" {
		return AnnotationPrefix + field
	}
	if n := len(fault) + 1 + len(field); n > 63 {
		fault = shorten(fault, len(fault)-(n-63))
	}
	return AnnotationPrefix + fault + "." + field
}

// objectName joins base and suffix into a DNS-1123 label of at most 63
// characters, shortened with a hash when longer.
func objectName(base, suffix string) string {
	name := base
	if suffix != "" {
		name += "-" + suffix
	}
	name = strings.Trim(name, "-")
	if len(name) > 63 {
		name = shorten(name, 63)
	}
	return name
}

// shorten cuts s to n characters, the last 9 being "-" and a hash of s.
func shorten(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:])[:8]
	keep := max(n-9, 1)
	return strings.TrimRight(s[:keep], "-.") + "-" + h
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{Kind: kind, APIVersion: v1alpha1.SchemeGroupVersion.String()}
}

// duration renders d as Go does, without zero units: 24h, 1m30s, 300ms.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func describeMatch(m *scenarios.Match) string {
	var parts []string
	if len(m.Method) > 0 {
		parts = append(parts, strings.Join(m.Method, ","))
	}
	if m.Path != "" {
		parts = append(parts, m.Path)
	}
	if len(m.Headers) > 0 {
		parts = append(parts, "headers "+formatMap(m.Headers))
	}
	if len(m.Query) > 0 {
		parts = append(parts, "query "+formatMap(m.Query))
	}
	if len(parts) == 0 {
		return "any request"
	}
	return strings.Join(parts, " ")
}

func formatMap(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func ptr[T any](v T) *T { return &v }
