package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday/gameday/export"
	"github.com/gameday/gameday/export/chaosmesh"
	"github.com/gameday/gameday/export/k8sjob"
	"github.com/gameday/gameday/internal/s3dir"
	"github.com/gameday/gameday/scenarios"
)

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export chaos-mesh|k8s-job ...",
		Short: "Write scenarios as Kubernetes resources: Chaos Mesh faults for a cluster, or an Indexed Job that runs them as shards",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return badInput(errors.New("export: name what to export: chaos-mesh or k8s-job"))
		},
	}
	cmd.AddCommand(newExportChaosMeshCmd(), newExportK8sJobCmd())
	return cmd
}

func newExportChaosMeshCmd() *cobra.Command {
	var (
		namespace string
		selectors []string
		ports     []string
		strict    bool
	)
	cmd := &cobra.Command{
		Use:   "chaos-mesh SCENARIO --namespace NS --selector K=V[,K=V...] [--selector TARGET=K=V] [--port N|TARGET=N] [--strict]",
		Short: "Write a scenario's faults as Chaos Mesh resources (multi-document YAML on stdout)",
		Long: `chaos-mesh writes the faults of SCENARIO as Chaos Mesh (chaos-mesh.org/v1alpha1)
resources, to inject them into the real services of a cluster:

  status          HTTPChaos replace.code with the protocol-true body (S3 XML or
                  JSON), Retry-After through patch.headers, on the response
  delay, hang     HTTPChaos delay (hang: for the scenario's timeout)
  reset           HTTPChaos abort
  throttle        NetworkChaos bandwidth
  crash, pause    PodChaos pod-failure (pod-kill for the workload)

A fault without after/until is a standalone object lasting the scenario's
timeout. Faults with after/until become one Workflow (Suspend, then the
fault until its deadline); runs + every become a Schedule of type Workflow.

--selector picks the pods behind the targets: K=V applies to every target
(the workload included), TARGET=K=V refines one. --port is the port
HTTPChaos intercepts (default 9000 for minio targets, 80 for stubs), for
every target or TARGET=N.

What Chaos Mesh cannot express (times, skip, every Nth, probability and the
seed, truncate, query matching, a crash triggered by a request, a pause, a
bounded number of runs) is listed on stderr, one warning a line, and kept
as gameday/ annotations on the objects. --strict makes any of it an error
(exit 2) and writes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := chaosmesh.ParseSelectors(selectors)
			if err != nil {
				return badInput(fmt.Errorf("export chaos-mesh: %w", err))
			}
			p, err := chaosmesh.ParsePorts(ports)
			if err != nil {
				return badInput(fmt.Errorf("export chaos-mesh: %w", err))
			}
			sc, err := scenarios.LoadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			res, err := chaosmesh.Export(sc, chaosmesh.Options{Namespace: namespace, Selectors: sel, Ports: p})
			if err != nil {
				return badInput(fmt.Errorf("export chaos-mesh: %s: %w", sc.Name, err))
			}
			if strict && len(res.Losses) > 0 {
				var lost []string
				for _, l := range res.Losses {
					lost = append(lost, l.String())
				}
				return badInput(fmt.Errorf("export chaos-mesh: --strict: %s: Chaos Mesh cannot express %s", sc.Name, strings.Join(lost, "; ")))
			}
			for _, l := range res.Losses {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %s\n", sc.Name, l)
			}
			objs := make([]any, len(res.Objects))
			for i, o := range res.Objects {
				objs[i] = o
			}
			var buf bytes.Buffer
			if err := export.Write(&buf, objs...); err != nil {
				return infra(err)
			}
			if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
				return infra(fmt.Errorf("export chaos-mesh: write stdout: %w", err))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&namespace, "namespace", "", "namespace of the objects and of the pods they select (required)")
	f.StringArrayVar(&selectors, "selector", nil, "labels of the targets' pods: K=V,... for every target, TARGET=K=V for one (repeatable)")
	f.StringArrayVar(&ports, "port", nil, "port HTTPChaos intercepts: N for every target or TARGET=N (default 9000 minio, 80 stub)")
	f.BoolVar(&strict, "strict", false, "fail (exit 2) when anything of the scenario cannot be expressed")
	_ = cmd.MarkFlagRequired("namespace")
	return cmd
}

func newExportK8sJobCmd() *cobra.Command {
	var (
		opts     k8sjob.Options
		filter   []string
		seed     int64
		deadline time.Duration
	)
	cmd := &cobra.Command{
		Use:   "k8s-job PATH... --shards N --image IMAGE [--upload s3://bucket/prefix] [--repeat N] [--seed N] [--filter NAME|TAG]",
		Short: "Write a Kubernetes Indexed Job (and the ConfigMap of its scenarios) that runs PATH... as N shards",
		Long: `k8s-job writes to stdout a ConfigMap holding the scenario files of PATH...
(with the policies and files they name, their folders kept) and an Indexed
Job of --shards N pods. Pod I runs, on --image (make images builds
gameday/gameday:dev, which carries the pinned MinIO binary):

  /gameday run --backend process --shard job/N --out /out [--repeat R]
           [--seed S] [--upload s3://...] /scenarios/...

where job/N is shard $JOB_COMPLETION_INDEX+1 of N (the image has no shell
to do that sum). The pods run as a non-root user with a read-only root
file system, no privileges and no capabilities, with CPU and memory
requests (--cpu, --memory) and the Job has a deadline (--deadline; default:
the longest shard's scenarios back to back at their timeouts, plus 5m).
A shard that fails its expectations (exit 1) is not retried; an
infrastructure error (exit 3) is, once.

--upload s3://bucket/prefix makes every pod upload its outputs below
prefix/shard-I-of-N/, for gameday merge s3://bucket/prefix; the pods read
AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION
from the Secret --s3-secret (default gameday-s3). Without it the outputs
die with the pods: each pod's log still ends with its table.

Scenarios are checked as gameday run checks them (exit 2), and every one
needs a fixed seed (the file's or --seed) so the shards agree.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Shards < 1 {
				return badInput(fmt.Errorf("export k8s-job: --shards %d: want 1 or more", opts.Shards))
			}
			if opts.Repeat < 1 {
				return badInput(fmt.Errorf("export k8s-job: --repeat %d: want 1 or more", opts.Repeat))
			}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			if opts.Upload != "" {
				if _, err := s3dir.ParseURL(opts.Upload); err != nil {
					return badInput(fmt.Errorf("export k8s-job: --upload %w", err))
				}
			}
			opts.Deadline = deadline
			list, err := loadForRun(args, filter, nil)
			if err != nil {
				return err
			}
			b, err := k8sjob.NewBundle(list)
			if err != nil {
				return badInput(fmt.Errorf("export k8s-job: %w", err))
			}
			cm, job, err := k8sjob.Build(b, opts)
			if err != nil {
				return badInput(fmt.Errorf("export k8s-job: %w", err))
			}
			for _, w := range b.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			if opts.Upload == "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: without --upload the outputs die with the pods (each pod's log ends with its table)")
			}
			var buf bytes.Buffer
			if err := export.Write(&buf, cm, job); err != nil {
				return infra(err)
			}
			if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
				return infra(fmt.Errorf("export k8s-job: write stdout: %w", err))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Shards, "shards", 0, "number of shards: one pod each (required)")
	f.StringVar(&opts.Image, "image", "", "the gameday image the cluster pulls (required)")
	f.StringVar(&opts.Name, "name", "gameday", "name of the Job (the ConfigMap is NAME-scenarios)")
	f.StringVar(&opts.Namespace, "namespace", "", "namespace of the Job and ConfigMap (default: kubectl's current one)")
	f.IntVar(&opts.Parallelism, "parallelism", 0, "pods running at once (default: --shards)")
	f.IntVar(&opts.Repeat, "repeat", 1, "gameday run --repeat")
	f.Int64Var(&seed, "seed", 0, "gameday run --seed (default: the files' seeds)")
	addFilterFlag(f, &filter, "only scenarios with this name or tag (repeatable; * matches any run of characters; [ and ] stand for themselves)")
	f.StringVar(&opts.Upload, "upload", "", "gameday run --upload s3://bucket/prefix in every pod")
	f.StringVar(&opts.S3Secret, "s3-secret", "gameday-s3", "Secret holding AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (with --upload)")
	f.StringVar(&opts.CPU, "cpu", "1", "CPU request of each pod")
	f.StringVar(&opts.Memory, "memory", "1Gi", "memory request of each pod (the limit is twice it)")
	f.DurationVar(&deadline, "deadline", 0, "the Job's active deadline (default: the longest shard at its timeouts + 5m)")
	_ = cmd.MarkFlagRequired("shards")
	_ = cmd.MarkFlagRequired("image")
	return cmd
}
