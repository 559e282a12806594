package chaosmesh_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/yaml"

	"github.com/gameday/gameday/export"
	"github.com/gameday/gameday/export/chaosmesh"
	"github.com/gameday/gameday/scenarios"
)

func init() {
	// The webhooks log every validation through controller-runtime.
	logf.SetLogger(logr.Discard())
}

var staging = chaosmesh.Options{
	Namespace: "staging",
	Selectors: chaosmesh.Selectors{All: map[string]string{"app.kubernetes.io/part-of": "pipeline"}},
}

func load(t *testing.T, path string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func loadYAML(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	dir := t.TempDir()
	sc, err := scenarios.Load(filepath.Join(dir, "s.yaml"), dir, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// webhookObject is what Chaos Mesh's admission webhooks call on an object.
type webhookObject interface {
	runtime.Object
	webhook.CustomDefaulter
	webhook.CustomValidator
}

// decode reads one exported YAML document back, strictly (an unknown or
// misspelt field fails), into the Chaos Mesh type its kind names.
func decode(doc []byte) (webhookObject, error) {
	var head struct{ Kind, APIVersion string }
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return nil, err
	}
	if head.APIVersion != "chaos-mesh.org/v1alpha1" {
		return nil, fmt.Errorf("apiVersion %q", head.APIVersion)
	}
	var obj webhookObject
	switch head.Kind {
	case v1alpha1.KindHTTPChaos:
		obj = &v1alpha1.HTTPChaos{}
	case v1alpha1.KindNetworkChaos:
		obj = &v1alpha1.NetworkChaos{}
	case v1alpha1.KindPodChaos:
		obj = &v1alpha1.PodChaos{}
	case v1alpha1.KindWorkflow:
		obj = &v1alpha1.Workflow{}
	case v1alpha1.KindSchedule:
		obj = &v1alpha1.Schedule{}
	default:
		return nil, fmt.Errorf("unexpected kind %q", head.Kind)
	}
	// As kubectl does: YAML to JSON, then the API server's strict decoding
	// of that JSON (sigs.k8s.io/yaml's own typed path allocates fields the
	// document does not have, e.g. an empty spec.rate beside bandwidth).
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return obj, dec.Decode(obj)
}

// validate runs Chaos Mesh's own webhook code on an object as the API
// server would: the validating webhook on the object as exported, then the
// mutating (Default) and validating ones again. A Schedule's webhook does
// not look inside its workflow, so the workflow is validated as a Workflow
// of its own too. It also checks the enums the CRD schema would (the
// webhooks leave them to it).
func validate(obj webhookObject) error {
	ctx := context.Background()
	if _, err := obj.ValidateCreate(ctx, obj); err != nil {
		return fmt.Errorf("as exported: %w", err)
	}
	if err := obj.Default(ctx, obj); err != nil {
		return err
	}
	if _, err := obj.ValidateCreate(ctx, obj); err != nil {
		return fmt.Errorf("after defaulting: %w", err)
	}
	switch o := obj.(type) {
	case *v1alpha1.Schedule:
		if o.Spec.Type != v1alpha1.ScheduleTypeWorkflow || o.Spec.Workflow == nil {
			return fmt.Errorf("schedule of type %q", o.Spec.Type)
		}
		wf := &v1alpha1.Workflow{ObjectMeta: o.ObjectMeta, Spec: *o.Spec.Workflow}
		return validate(wf)
	case *v1alpha1.Workflow:
		for _, t := range o.Spec.Templates {
			if t.EmbedChaos == nil {
				continue
			}
			if t.Deadline == nil {
				return fmt.Errorf("template %s: no deadline, it would never end", t.Name)
			}
			for _, sel := range []*v1alpha1.PodSelector{podSelector(t.EmbedChaos)} {
				if err := checkSelector(sel); err != nil {
					return fmt.Errorf("template %s: %w", t.Name, err)
				}
			}
		}
	case *v1alpha1.HTTPChaos:
		return checkSelector(&o.Spec.PodSelector)
	case *v1alpha1.PodChaos:
		if !slices.Contains([]v1alpha1.PodChaosAction{v1alpha1.PodKillAction, v1alpha1.PodFailureAction}, o.Spec.Action) {
			return fmt.Errorf("action %q", o.Spec.Action)
		}
		if o.Spec.Action == v1alpha1.PodFailureAction && o.Spec.Duration == nil {
			return fmt.Errorf("pod-failure without duration")
		}
		return checkSelector(&o.Spec.PodSelector)
	case *v1alpha1.NetworkChaos:
		if o.Spec.Action != v1alpha1.BandwidthAction || o.Spec.Bandwidth == nil {
			return fmt.Errorf("network action %q", o.Spec.Action)
		}
		return checkSelector(&o.Spec.PodSelector)
	}
	return nil
}

func podSelector(e *v1alpha1.EmbedChaos) *v1alpha1.PodSelector {
	switch {
	case e.HTTPChaos != nil:
		return &e.HTTPChaos.PodSelector
	case e.NetworkChaos != nil:
		return &e.NetworkChaos.PodSelector
	case e.PodChaos != nil:
		return &e.PodChaos.PodSelector
	}
	return nil
}

func checkSelector(s *v1alpha1.PodSelector) error {
	switch {
	case s == nil:
		return fmt.Errorf("no selector")
	case s.Mode != v1alpha1.AllMode:
		return fmt.Errorf("mode %q", s.Mode)
	case len(s.Selector.LabelSelectors) == 0 || len(s.Selector.Namespaces) != 1:
		return fmt.Errorf("selector %+v selects too much", s.Selector)
	}
	return nil
}

// exportAndValidate exports sc, writes it, reads every document back and
// validates it; it returns the documents' kinds.
func exportAndValidate(t *testing.T, sc *scenarios.Scenario, opts chaosmesh.Options) ([]string, *chaosmesh.Result) {
	t.Helper()
	res, err := chaosmesh.Export(sc, opts)
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	var buf bytes.Buffer
	var objs []any
	for _, o := range res.Objects {
		objs = append(objs, o)
	}
	if err := export.Write(&buf, objs...); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, doc := range strings.Split(strings.TrimPrefix(buf.String(), "---\n"), "---\n") {
		obj, err := decode([]byte(doc))
		if err != nil {
			t.Fatalf("%s: document %d: %v\n%s", sc.Name, i, err, doc)
		}
		if err := validate(obj); err != nil {
			t.Errorf("%s: %s rejected by Chaos Mesh's validation: %v\n%s", sc.Name, obj.GetObjectKind().GroupVersionKind().Kind, err, doc)
		}
		kinds = append(kinds, obj.GetObjectKind().GroupVersionKind().Kind)
	}
	if len(kinds) != len(res.Objects) {
		t.Fatalf("%s: %d documents for %d objects", sc.Name, len(kinds), len(res.Objects))
	}
	return kinds, res
}

// TestEveryShippedScenarioPassesChaosMeshValidation exports every scenario
// of the library (and of the clients and negative sets) and runs Chaos
// Mesh's webhook validation on what was written.
func TestEveryShippedScenarioPassesChaosMeshValidation(t *testing.T) {
	files, err := scenarios.Collect([]string{"../../scenarios/library", "../../scenarios/clients", "../../scenarios/negative"})
	if err != nil {
		t.Fatal(err)
	}
	library := 0
	for _, f := range files {
		sc := load(t, f)
		opts := staging
		kinds, res := exportAndValidate(t, sc, opts)
		if len(kinds) == 0 && len(sc.Faults) > 0 {
			t.Errorf("%s: %d faults, nothing exported", sc.Name, len(sc.Faults))
		}
		// Every loss is kept as an annotation on some object.
		for _, l := range res.Losses {
			found := false
			for _, o := range res.Objects {
				for k, v := range o.GetAnnotations() {
					if strings.HasSuffix(k, "."+l.Field) || strings.HasSuffix(k, "/"+l.Field) {
						found = found || v == l.Value
					}
				}
			}
			if !found {
				t.Errorf("%s: loss %q is on no object's annotations", sc.Name, l)
			}
		}
		if strings.Contains(f, "library") {
			library++
		}
	}
	if library < 10 {
		t.Fatalf("only %d library scenarios", library)
	}
}

func TestStandaloneFaultsAreObjectsOfTheirOwn(t *testing.T) {
	sc := load(t, "../../scenarios/library/auth-401-fail-fast.yaml")
	kinds, res := exportAndValidate(t, sc, staging)
	if !slices.Equal(kinds, []string{"HTTPChaos"}) || len(res.Losses) != 0 {
		t.Fatalf("kinds %v, losses %v; want one HTTPChaos, nothing lost", kinds, res.Losses)
	}
	h := res.Objects[0].(*v1alpha1.HTTPChaos)
	if h.Spec.Replace == nil || *h.Spec.Replace.Code != 401 || !bytes.Contains(h.Spec.Replace.Body, []byte("<Code>InvalidAccessKeyId</Code>")) ||
		h.Spec.Target != v1alpha1.PodHttpResponse || *h.Spec.Method != "GET" || *h.Spec.Path != "/features/day/*" || h.Spec.Port != 9000 {
		t.Fatalf("spec %+v", h.Spec)
	}
	// The validation is not vacuous: the webhook refuses a port of 0.
	bad := h.DeepCopy()
	bad.Spec.Port = 0
	if err := validate(bad); err == nil || !strings.Contains(err.Error(), "port 0 is not supported") {
		t.Fatalf("a port of 0 passed validation: %v", err)
	}
	if h.Name != "auth-401-fail-fast-bad-credentials" || h.Namespace != "staging" || *h.Spec.Duration != "1m" {
		t.Fatalf("meta %s/%s, duration %v", h.Namespace, h.Name, *h.Spec.Duration)
	}
}

// TestScheduleMapping covers what the library does not: after/until as
// Suspend and deadlines, several methods, a throttle, a pause, a reset and
// a truncate, per-target selectors and ports.
func TestScheduleMapping(t *testing.T) {
	sc := loadYAML(t, `
name: mapping
seed: 5
timeout: 3m
targets:
  storage: {kind: minio, buckets: [bkt]}
  api: {kind: stub}
workload: {pipeline: reference}
faults:
  - {name: late-503, target: storage, match: {method: [GET, PUT], path: "/bkt/*"}, action: {status: 503}, after: 10s, until: 40s, optional: true}
  - {name: early-reset, target: api, action: {reset: true}, until: 20s, optional: true}
  - {name: slow-body, target: storage, action: {throttle: 64KiB}, optional: true}
  - {name: cut, target: api, match: {path: /v1/*, query: {page: "2"}}, action: {truncate: 1KiB}, probability: 0.5, optional: true}
  - {name: freeze, target: api, action: {pause: 2s}, after: 5s}
  - {name: api-dies, target: api, action: {crash: {restart_after: 3s}}}
`)
	opts := staging
	opts.Selectors.Target = map[string]map[string]string{"storage": {"app": "minio"}}
	opts.Ports = chaosmesh.Ports{Target: map[string]int32{"api": 8080}}
	kinds, res := exportAndValidate(t, sc, opts)
	if want := []string{"NetworkChaos", "HTTPChaos", "PodChaos", "Workflow"}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	wf := res.Objects[3].(*v1alpha1.Workflow)
	templates := map[string]v1alpha1.Template{}
	for _, tp := range wf.Spec.Templates {
		templates[tp.Name] = tp
	}
	entry := templates[wf.Spec.Entry]
	if entry.Type != v1alpha1.TypeParallel || !slices.Equal(entry.Children, []string{"late-503", "early-reset", "freeze"}) {
		t.Fatalf("entry %+v", entry)
	}
	if s := templates["late-503"]; s.Type != v1alpha1.TypeSerial || !slices.Equal(s.Children, []string{"late-503-after", "late-503-inject"}) {
		t.Fatalf("late-503: %+v", s)
	}
	if s := templates["late-503-after"]; s.Type != v1alpha1.TypeSuspend || *s.Deadline != "10s" {
		t.Fatalf("late-503-after: %+v", s)
	}
	if p := templates["late-503-inject"]; p.Type != v1alpha1.TypeParallel || !slices.Equal(p.Children, []string{"late-503-inject-get", "late-503-inject-put"}) {
		t.Fatalf("late-503-inject: %+v", p)
	}
	put := templates["late-503-inject-put"]
	if *put.Deadline != "30s" || *put.HTTPChaos.Method != "PUT" || put.HTTPChaos.Selector.LabelSelectors["app"] != "minio" {
		t.Fatalf("late-503-inject-put: %+v", put)
	}
	if r := templates["early-reset"]; *r.Deadline != "20s" || !*r.HTTPChaos.Abort || r.HTTPChaos.Port != 8080 {
		t.Fatalf("early-reset: %+v", r)
	}
	if f := templates["freeze-inject"]; *f.Deadline != "2s" || f.PodChaos.Action != v1alpha1.PodFailureAction {
		t.Fatalf("freeze-inject: %+v", f)
	}
	net := res.Objects[0].(*v1alpha1.NetworkChaos)
	if net.Spec.Bandwidth.Rate != "65536bps" || *net.Spec.Duration != "3m" {
		t.Fatalf("throttle: %+v", net.Spec)
	}
	if pod := res.Objects[2].(*v1alpha1.PodChaos); pod.Spec.Action != v1alpha1.PodFailureAction || *pod.Spec.Duration != "3s" {
		t.Fatalf("api-dies: %+v", pod.Spec)
	}
	var lost []string
	for _, l := range res.Losses {
		lost = append(lost, l.Fault+"."+l.Field)
	}
	want := []string{"late-503.on", "cut.probability", "cut.match.query", "cut.truncate", "freeze.pause"}
	if !slices.Equal(lost, want) {
		t.Fatalf("losses %v, want %v", lost, want)
	}
	if !strings.Contains(res.Losses[1].Why, "seed 5") {
		t.Errorf("the probability loss does not name the seed: %s", res.Losses[1])
	}
}

func TestStrictNamesTimes(t *testing.T) {
	sc := load(t, "../../scenarios/library/storage-503-single-transient.yaml")
	res, err := chaosmesh.Export(sc, staging)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Losses) != 1 || res.Losses[0].Field != "times" || res.Losses[0].Value != "1" {
		t.Fatalf("losses %v; want times: 1", res.Losses)
	}
	if got := res.Objects[0].GetAnnotations()["gameday/one-503.times"]; got != "1" {
		t.Fatalf("annotation gameday/one-503.times = %q", got)
	}
}

func TestOptionErrors(t *testing.T) {
	sc := load(t, "../../scenarios/library/storage-503-single-transient.yaml")
	for _, tc := range []struct {
		opts chaosmesh.Options
		want string
	}{
		{chaosmesh.Options{Namespace: "staging"}, "fault one-503: no selector for the pods of storage"},
		{chaosmesh.Options{Namespace: "Staging!", Selectors: staging.Selectors}, "--namespace"},
		{chaosmesh.Options{Namespace: "staging", Selectors: chaosmesh.Selectors{Target: map[string]map[string]string{"db": {"a": "b"}}}}, "no target \"db\""},
	} {
		if _, err := chaosmesh.Export(sc, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want an error naming %q", tc.opts, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"app", "want K=V or TARGET=K=V"},
		{"a=b=c=d", "want K=V"},
		{"app=bad value", "label value"},
	} {
		if _, err := chaosmesh.ParseSelectors([]string{tc.in}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSelectors(%q): %v", tc.in, err)
		}
	}
	sel, err := chaosmesh.ParseSelectors([]string{"app=pipeline,tier=staging", "storage=app=minio"})
	if err != nil {
		t.Fatal(err)
	}
	if got := sel.For("storage"); got["app"] != "minio" || got["tier"] != "staging" || sel.For("api")["app"] != "pipeline" {
		t.Fatalf("For: %v, %v", got, sel.For("api"))
	}
	if _, err := chaosmesh.ParsePorts([]string{"70000"}); err == nil {
		t.Error("port 70000 accepted")
	}
	ports, err := chaosmesh.ParsePorts([]string{"8000", "storage=9001"})
	if err != nil || ports.For("storage", "minio") != 9001 || ports.For("api", "stub") != 8000 {
		t.Fatalf("ParsePorts: %+v, %v", ports, err)
	}
	if (chaosmesh.Ports{}).For("api", "stub") != 80 || (chaosmesh.Ports{}).For("s", "minio") != 9000 {
		t.Fatal("default ports")
	}
}
