package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/gameday/gameday/internal/cli"
)

// decodeK8s reads a multi-document stream as the API server would, strictly
// (unknown fields fail), into batch/v1 and v1 types.
func decodeK8s(t *testing.T, stream string) []runtime.Object {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := batchv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	dec := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	var out []runtime.Object
	for _, doc := range strings.Split(strings.TrimPrefix(stream, "---\n"), "---\n") {
		obj, _, err := dec.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, doc)
		}
		out = append(out, obj)
	}
	return out
}

func TestExportK8sJob(t *testing.T) {
	code, stdout, stderr := runCLI(t, "export", "k8s-job", library, "--shards", "3", "--repeat", "2",
		"--image", "registry.example/gameday:v1", "--namespace", "gamedays", "--upload", "s3://results/nightly")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr %q; the library needs nothing the image lacks", stderr)
	}
	objs := decodeK8s(t, stdout)
	if len(objs) != 2 {
		t.Fatalf("%d objects, want a ConfigMap and a Job", len(objs))
	}
	cm, ok := objs[0].(*corev1.ConfigMap)
	if !ok {
		t.Fatalf("first object is %T", objs[0])
	}
	job, ok := objs[1].(*batchv1.Job)
	if !ok {
		t.Fatalf("second object is %T", objs[1])
	}
	s := job.Spec
	if *s.CompletionMode != batchv1.IndexedCompletion || *s.Completions != 3 || *s.Parallelism != 3 || job.Namespace != "gamedays" {
		t.Fatalf("job spec: mode %v, completions %d, parallelism %d", *s.CompletionMode, *s.Completions, *s.Parallelism)
	}
	if s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds < 300 {
		t.Errorf("deadline %v", s.ActiveDeadlineSeconds)
	}
	if *s.BackoffLimitPerIndex != 1 || len(s.PodFailurePolicy.Rules) != 1 || !slices.Equal(s.PodFailurePolicy.Rules[0].OnExitCodes.Values, []int32{1, 2}) {
		t.Errorf("retries: %+v", s.PodFailurePolicy)
	}
	pod := s.Template.Spec
	c := pod.Containers[0]
	if c.Image != "registry.example/gameday:v1" || !slices.Equal(c.Command, []string{"/gameday"}) {
		t.Errorf("container %s %v", c.Image, c.Command)
	}
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"run --backend process --shard job/3 --out /out", "--repeat 2", "--upload s3://results/nightly",
		"/scenarios/scenarios/library/storage-503-single-transient.yaml"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	sc := c.SecurityContext
	if *sc.Privileged || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem || !*sc.RunAsNonRoot || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context %+v", sc)
	}
	if !*pod.SecurityContext.RunAsNonRoot || *pod.AutomountServiceAccountToken || pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("pod spec %+v", pod.SecurityContext)
	}
	if c.Resources.Requests.Cpu().String() != "1" || c.Resources.Requests.Memory().String() != "1Gi" || c.Resources.Limits.Memory().String() != "2Gi" {
		t.Errorf("resources %+v", c.Resources)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != "gameday-s3" {
		t.Errorf("envFrom %+v", c.EnvFrom)
	}

	// The ConfigMap, laid out as the pod sees it, is what gameday run
	// checks: every scenario with the policies it names.
	root := t.TempDir()
	var vol *corev1.ConfigMapVolumeSource
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil {
			vol = v.ConfigMap
		}
	}
	if vol == nil || vol.Name != cm.Name {
		t.Fatalf("no volume of ConfigMap %s", cm.Name)
	}
	for _, item := range vol.Items {
		data, ok := cm.Data[item.Key]
		if !ok {
			t.Fatalf("item %s: no key %s in the ConfigMap", item.Path, item.Key)
		}
		p := filepath.Join(root, filepath.FromSlash(item.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var files []string
	for _, a := range c.Args {
		if rel, ok := strings.CutPrefix(a, "/scenarios/"); ok {
			files = append(files, filepath.Join(root, rel))
		}
	}
	if len(files) != 10 {
		t.Fatalf("%d scenario files in the args", len(files))
	}
	if code, out, errOut := runCLI(t, append([]string{"validate"}, files...)...); code != cli.ExitOK {
		t.Fatalf("the ConfigMap's scenarios do not validate: exit %d\n%s%s", code, out, errOut)
	}
}

func TestExportK8sJobBadInput(t *testing.T) {
	dir := t.TempDir()
	unseeded := writeScenario(t, dir, "unseeded", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "k8s-job", library, "--image", "x"}, "shards"},
		{[]string{"export", "k8s-job", library, "--shards", "3"}, "image"},
		{[]string{"export", "k8s-job", library, "--shards", "0", "--image", "x"}, "--shards 0"},
		{[]string{"export", "k8s-job", library, "--shards", "2", "--image", "x", "--upload", "b/x"}, "want s3://bucket/prefix"},
		{[]string{"export", "k8s-job", library, "--shards", "2", "--image", "x", "--memory", "lots"}, "--memory"},
		{[]string{"export", "k8s-job", unseeded, "--shards", "2", "--image", "x"}, "has no seed"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 naming %q", tc.args, code, errOut, tc.want)
		}
	}
	// A workload the scratch image cannot run is a warning.
	code, _, errOut := runCLI(t, "export", "k8s-job", filepath.Join(library, "..", "clients", "curl-retry.yaml"), "--shards", "1", "--image", "x")
	if code != cli.ExitOK || !strings.Contains(errOut, "runs sh curl-client.sh") {
		t.Errorf("exec workload: exit %d, %q", code, errOut)
	}
}

func TestExportChaosMesh(t *testing.T) {
	file := filepath.Join(library, "storage-503-single-transient.yaml")
	code, stdout, stderr := runCLI(t, "export", "chaos-mesh", file, "--namespace", "staging", "--selector", "app=pipeline")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "kind: HTTPChaos") || !strings.Contains(stdout, "gameday/one-503.times: \"1\"") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if strings.TrimSpace(stderr) != "warning: storage-503-single-transient: fault one-503: times: 1: Chaos Mesh injects on every matching request while the experiment runs, with no count (bound it in time with after/until)" {
		t.Errorf("stderr %q", stderr)
	}

	code, stdout, stderr = runCLI(t, "export", "chaos-mesh", file, "--namespace", "staging", "--selector", "app=pipeline", "--strict")
	if code != cli.ExitBadInput || stdout != "" || !strings.Contains(stderr, "fault one-503: times: 1") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("--strict: exit %d, stdout %q, stderr %q; want exit 2 and one line naming times", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "export", "chaos-mesh", filepath.Join(library, "auth-401-fail-fast.yaml"), "--namespace", "staging", "--selector", "app=pipeline", "--strict")
	if code != cli.ExitOK || stderr != "" {
		t.Errorf("--strict on a scenario Chaos Mesh expresses whole: exit %d, %q", code, stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "chaos-mesh", file, "--selector", "app=x"}, "namespace"},
		{[]string{"export", "chaos-mesh", file, "--namespace", "staging"}, "no selector for the pods of storage"},
		{[]string{"export", "chaos-mesh", file, "--namespace", "staging", "--selector", "db=app=x"}, "no target \"db\""},
		{[]string{"export", "chaos-mesh", file, "--namespace", "staging", "--selector", "app=x", "--port", "0"}, "--port"},
		{[]string{"export", "chaos-mesh", "nowhere.yaml", "--namespace", "staging", "--selector", "app=x"}, "nowhere.yaml"},
		{[]string{"export"}, "chaos-mesh or k8s-job"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 naming %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestExportK8sJobMatrix: a matrix file is bundled once, with the policies
// of its combinations; the pods run just the combinations --filter chose.
func TestExportK8sJobMatrix(t *testing.T) {
	matrix := filepath.Join("..", "..", "scenarios", "testdata", "good", "matrix.yaml")
	code, stdout, stderr := runCLI(t, "export", "k8s-job", matrix, "--shards", "2", "--image", "x/gameday:v1",
		"--filter", "matrix[RETRY_MODE=legacy,*]")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs := decodeK8s(t, stdout)
	cm := objs[0].(*corev1.ConfigMap)
	args := strings.Join(objs[1].(*batchv1.Job).Spec.Template.Spec.Containers[0].Args, " ")
	if strings.Count(args, "matrix.yaml") != 1 {
		t.Errorf("the file once: %s", args)
	}
	for _, want := range []string{"--filter matrix[RETRY_MODE=legacy,policy=default]", "--filter matrix[RETRY_MODE=legacy,policy=ci]"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "standard") {
		t.Errorf("args select unchosen combinations: %s", args)
	}
	var keys []string
	for k := range cm.Data {
		keys = append(keys, k)
	}
	all := strings.Join(keys, " ")
	for _, want := range []string{"ci.yaml", "default.yaml"} {
		if !strings.Contains(all, want) {
			t.Errorf("ConfigMap lacks the policy %s: %v", want, keys)
		}
	}
}
