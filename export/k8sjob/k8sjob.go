// Package k8sjob writes a Kubernetes Indexed Job that runs scenarios as
// shards: pod I (JOB_COMPLETION_INDEX I-1) runs `gameday run --backend
// process --shard job/N` on the gameday image, which carries the pinned
// MinIO binary, and reads the scenario files (with the policies and files
// they name) from a ConfigMap written beside the Job. The objects are built
// from k8s.io/api types.
//
//	b, _ := k8sjob.NewBundle(list)
//	cm, job, _ := k8sjob.Build(b, k8sjob.Options{Image: "registry/gameday:v1", Shards: 4})
//	_ = export.Write(os.Stdout, cm, job)
package k8sjob

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gameday/gameday/harness"
	"github.com/gameday/gameday/scenarios"
	"github.com/gameday/gameday/shard"
)

// Paths inside the pod.
const (
	ScenariosDir = "/scenarios" // the ConfigMap
	OutDir       = "/out"       // gameday run --out
	TmpDir       = "/tmp"       // MinIO data, logs, state
	GamedayPath  = "/gameday"   // the binary in the gameday image
	MinIOPath    = "/minio"     // the pinned MinIO binary beside it
)

// MaxBundle is the most the scenario files may weigh: a ConfigMap holds at
// most 1 MiB, metadata included.
const MaxBundle = 900 << 10

// Bundle is a set of scenarios and every file they read, with paths
// relative to the deepest folder holding them all.
type Bundle struct {
	// Scenarios are the scenarios, in the order given (a matrix's
	// combinations each on their own).
	Scenarios []*scenarios.Scenario
	// Paths are the scenario files' relative paths, in that order, each
	// once.
	Paths []string
	// Files maps every relative path (slash-separated) to its content.
	Files map[string][]byte
	// Executable are the relative paths a workload runs directly.
	Executable map[string]bool
	// Warnings say what the gameday image will lack (a workload that runs
	// python3, say).
	Warnings []string

	// combinations: some scenario is a matrix's combination, so the pods
	// are told which ones to run.
	combinations bool
}

// NewBundle reads the scenario files of list and what they name: the
// workload's policy, objects' from_file, and exec arguments that are files
// beside the scenario.
func NewBundle(list []*scenarios.Scenario) (*Bundle, error) {
	if len(list) == 0 {
		return nil, errors.New("no scenarios")
	}
	b := &Bundle{Scenarios: list, Files: map[string][]byte{}, Executable: map[string]bool{}}
	var abs []string
	exec := map[string]bool{}
	for _, sc := range list {
		abs = append(abs, sc.File)
		if p := sc.Workload.Policy; p != "" {
			abs = append(abs, p)
		}
		for _, t := range sc.Targets {
			for _, o := range t.Objects {
				if o.FromFile != "" {
					abs = append(abs, o.FromFile)
				}
			}
		}
		if w := sc.Workload.Exec; len(w) > 0 {
			for i, arg := range w {
				if filepath.IsAbs(arg) {
					continue
				}
				p := filepath.Join(filepath.Dir(sc.File), arg)
				if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
					abs = append(abs, p)
					if i == 0 {
						exec[p] = true
					}
				}
			}
			b.Warnings = append(b.Warnings, fmt.Sprintf(
				"scenario %s: its workload runs %s; the gameday image is FROM scratch and holds gameday and minio only, so pass an --image that carries what it needs",
				sc.Name, strings.Join(w, " ")))
		}
	}
	root := commonDir(abs)
	total := 0
	for _, p := range abs {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		if _, seen := b.Files[rel]; seen {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		total += len(data)
		b.Files[rel] = data
		if exec[p] {
			b.Executable[rel] = true
		}
	}
	if total > MaxBundle {
		return nil, fmt.Errorf("the scenarios and the files they read take %d KiB, more than a ConfigMap holds (%d KiB): build an image with them instead", total>>10, MaxBundle>>10)
	}
	seen := map[string]bool{}
	for _, sc := range list {
		rel, _ := filepath.Rel(root, sc.File)
		if !seen[rel] { // the combinations of a matrix share their file
			seen[rel] = true
			b.Paths = append(b.Paths, filepath.ToSlash(rel))
		}
		if sc.Combination != nil {
			b.combinations = true
		}
	}
	return b, nil
}

// commonDir is the deepest folder holding every path.
func commonDir(paths []string) string {
	dir := filepath.Dir(paths[0])
	for _, p := range paths[1:] {
		for !strings.HasPrefix(p, dir+string(filepath.Separator)) && dir != filepath.Dir(dir) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}

// Options shape the Job. Image and Shards are required.
type Options struct {
	// Name of the Job and the ConfigMap's prefix; default "gameday".
	Name string
	// Namespace of both; empty: kubectl's current one.
	Namespace string
	// Image is the gameday image (make images builds gameday/gameday:dev;
	// push it where the cluster pulls from).
	Image string
	// Shards is N: one pod per shard.
	Shards int
	// Parallelism is how many pods run at once; default Shards.
	Parallelism int
	// Repeat and Seed are gameday run's --repeat and --seed (nil: the
	// files' seeds).
	Repeat int
	Seed   *int64
	// Upload is gameday run's --upload s3://bucket/prefix; empty: none.
	Upload string
	// S3Secret names the Secret whose keys become the pods' environment
	// (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
	// AWS_REGION); default "gameday-s3". Only used with Upload.
	S3Secret string
	// CPU and Memory are each pod's requests (default 1 and 1Gi); the
	// memory limit is twice the request.
	CPU, Memory string
	// Deadline is the Job's activeDeadlineSeconds; default: the longest
	// shard's scenarios back to back at their timeouts (evidence runs
	// included), plus 5 minutes for pulling and booting.
	Deadline time.Duration
}

// Build returns the ConfigMap holding the bundle and the Indexed Job that
// runs it in opts.Shards shards.
func Build(b *Bundle, opts Options) (*corev1.ConfigMap, *batchv1.Job, error) {
	if opts.Name == "" {
		opts.Name = "gameday"
	}
	if errs := validation.IsDNS1123Label(opts.Name); len(errs) > 0 {
		return nil, nil, fmt.Errorf("--name %q: %s", opts.Name, strings.Join(errs, "; "))
	}
	if opts.Namespace != "" {
		if errs := validation.IsDNS1123Label(opts.Namespace); len(errs) > 0 {
			return nil, nil, fmt.Errorf("--namespace %q: %s", opts.Namespace, strings.Join(errs, "; "))
		}
	}
	if opts.Image == "" {
		return nil, nil, errors.New("--image is required: the gameday image the cluster can pull (make images builds gameday/gameday:dev)")
	}
	if opts.Shards < 1 {
		return nil, nil, fmt.Errorf("--shards %d: want 1 or more", opts.Shards)
	}
	if opts.Parallelism == 0 {
		opts.Parallelism = opts.Shards
	}
	if opts.Parallelism < 1 {
		return nil, nil, fmt.Errorf("--parallelism %d: want 1 or more", opts.Parallelism)
	}
	if opts.S3Secret == "" {
		opts.S3Secret = "gameday-s3"
	}
	cpu, err := quantity("--cpu", opts.CPU, "1")
	if err != nil {
		return nil, nil, err
	}
	mem, err := quantity("--memory", opts.Memory, "1Gi")
	if err != nil {
		return nil, nil, err
	}
	memLimit := mem.DeepCopy()
	memLimit.Add(mem)
	deadline := opts.Deadline
	if deadline <= 0 {
		if deadline, err = worstShard(b.Scenarios, opts); err != nil {
			return nil, nil, err
		}
		deadline += 5 * time.Minute
	}

	labels := map[string]string{
		"app.kubernetes.io/name":       "gameday",
		"app.kubernetes.io/instance":   opts.Name,
		"app.kubernetes.io/managed-by": "gameday",
	}
	cmName := opts.Name + "-scenarios"
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: cmName, Namespace: opts.Namespace, Labels: labels},
	}
	var items []corev1.KeyToPath
	paths := make([]string, 0, len(b.Files))
	for p := range b.Files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for i, p := range paths {
		key := configMapKey(i, p)
		data := b.Files[p]
		if utf8.Valid(data) {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[key] = string(data)
		} else {
			if cm.BinaryData == nil {
				cm.BinaryData = map[string][]byte{}
			}
			cm.BinaryData[key] = data
		}
		item := corev1.KeyToPath{Key: key, Path: p}
		if b.Executable[p] {
			item.Mode = ptr(int32(0o555))
		}
		items = append(items, item)
	}

	args := []string{"run", "--backend", "process", "--shard", "job/" + strconv.Itoa(opts.Shards), "--out", OutDir}
	if opts.Repeat > 1 {
		args = append(args, "--repeat", strconv.Itoa(opts.Repeat))
	}
	if opts.Seed != nil {
		args = append(args, "--seed", strconv.FormatInt(*opts.Seed, 10))
	}
	if opts.Upload != "" {
		args = append(args, "--upload", opts.Upload)
	}
	if b.combinations {
		// A file with a matrix stands for all its combinations; the pods
		// run just the ones given, each selected by its name (which holds
		// no *, so it selects exactly itself).
		for _, sc := range b.Scenarios {
			args = append(args, "--filter", sc.Name)
		}
	}
	for _, p := range b.Paths {
		args = append(args, ScenariosDir+"/"+p)
	}
	env := []corev1.EnvVar{
		{Name: "HOME", Value: TmpDir},
		{Name: "TMPDIR", Value: TmpDir},
		{Name: "GAMEDAY_STATE_HOME", Value: TmpDir + "/gameday-state"},
		{Name: "GAMEDAY_BIN", Value: GamedayPath},
		{Name: "GAMEDAY_MINIO_BIN", Value: MinIOPath},
		{Name: "CI", Value: "true"}, // plain progress lines in the pod's log
	}
	var envFrom []corev1.EnvFromSource
	if opts.Upload != "" {
		envFrom = append(envFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: opts.S3Secret}}})
	}
	const container = "gameday"
	uid := int64(65532) // the conventional nonroot user of distroless images
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: opts.Name, Namespace: opts.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			CompletionMode: ptr(batchv1.IndexedCompletion),
			Completions:    ptr(int32(opts.Shards)),
			Parallelism:    ptr(int32(opts.Parallelism)),
			// A shard whose verdict failed (exit 1) or whose input was bad
			// (2) is not run again; an infrastructure error (3, or the pod
			// lost) is, once. Every shard runs whatever the others do.
			BackoffLimitPerIndex: ptr(int32(1)),
			MaxFailedIndexes:     ptr(int32(opts.Shards)),
			PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action: batchv1.PodFailurePolicyActionFailIndex,
				OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
					ContainerName: ptr(container),
					Operator:      batchv1.PodFailurePolicyOnExitCodesOpIn,
					Values:        []int32{1, 2},
				},
			}}},
			ActiveDeadlineSeconds:   ptr(int64(deadline / time.Second)),
			TTLSecondsAfterFinished: ptr(int32(24 * 3600)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: ptr(false),
					EnableServiceLinks:           ptr(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr(true),
						RunAsUser:      ptr(uid),
						RunAsGroup:     ptr(uid),
						FSGroup:        ptr(uid),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:    container,
						Image:   opts.Image,
						Command: []string{GamedayPath},
						Args:    args,
						Env:     env,
						EnvFrom: envFrom,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: memLimit},
						},
						SecurityContext: &corev1.SecurityContext{
							Privileged:               ptr(false),
							AllowPrivilegeEscalation: ptr(false),
							ReadOnlyRootFilesystem:   ptr(true),
							RunAsNonRoot:             ptr(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "scenarios", MountPath: ScenariosDir, ReadOnly: true},
							{Name: "tmp", MountPath: TmpDir},
							{Name: "out", MountPath: OutDir},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "scenarios", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: cmName},
							Items:                items,
						}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
						{Name: "out", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
	return cm, job, nil
}

// worstShard is the longest any shard may take with its scenarios back to
// back: each at its timeout, times one plus its evidence runs when it
// judges backoff.
func worstShard(list []*scenarios.Scenario, opts Options) (time.Duration, error) {
	pairs, err := harness.Pairs(list, opts.Seed, opts.Repeat)
	if err != nil {
		return 0, err
	}
	worst := map[string]time.Duration{}
	for _, sc := range list {
		runs := 1
		if sc.Expect.Backoff != nil {
			runs += sc.Evidence()
		}
		worst[sc.Name] = sc.Timeout * time.Duration(runs)
	}
	perShard := map[int]time.Duration{}
	var longest time.Duration
	for p, i := range shard.Assign(pairs, opts.Shards) {
		perShard[i] += worst[p.Name]
		longest = max(longest, perShard[i])
	}
	return longest, nil
}

// configMapKey is a valid ConfigMap key for the i-th file: its index and
// its base name.
func configMapKey(i int, path string) string {
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, filepath.Base(path))
	return fmt.Sprintf("f%d-%s", i, base)
}

func quantity(flag, v, def string) (resource.Quantity, error) {
	if v == "" {
		v = def
	}
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Sign() <= 0 {
		return resource.Quantity{}, fmt.Errorf("%s %q: want a positive Kubernetes quantity (e.g. %s)", flag, v, def)
	}
	return q, nil
}

func ptr[T any](v T) *T { return &v }
