package e2e_test

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/internal/testenv"
	"github.com/gameday/gameday/reports"
)

// verdict is what must agree between a single run and merged shards: per
// scenario its verdict, its seeds and per expectation held/runs.
type verdict struct {
	Verdict string
	Seeds   []int64
	Held    map[string]string
}

func verdictsOf(r *reports.Result) map[string]verdict {
	out := map[string]verdict{}
	for _, sc := range r.Scenarios {
		v := verdict{Verdict: sc.Verdict(), Held: map[string]string{}}
		if sc.Repeats != nil {
			v.Seeds = sc.Repeats.Seeds
		}
		for _, e := range sc.Expectations {
			v.Held[e.Name] = fmt.Sprintf("%v %d/%d", e.Passed, e.Held, e.Runs)
		}
		out[sc.Name] = v
	}
	return out
}

var _ = Describe("gameday run --shard and gameday merge", func() {
	It("runs scenarios/library --repeat 2 as three shards in parallel processes, uploads them to MinIO and merges them into the single run's verdicts", func() {
		dir := GinkgoT().TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		m, err := testenv.StartMinIO(ctx, dir)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(m.Stop)
		cl, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""), Region: "us-east-1"})
		Expect(err).NotTo(HaveOccurred())
		Expect(cl.MakeBucket(ctx, "results", minio.MakeBucketOptions{Region: "us-east-1"})).To(Succeed())
		s3env := []string{"AWS_ENDPOINT_URL=" + m.URL(), "AWS_ACCESS_KEY_ID=" + m.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + m.SecretKey, "AWS_REGION=us-east-1"}

		var shardOuts, mine []string
		var sessions []*gexec.Session
		for i := 1; i <= 3; i++ {
			out := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
			s, m := gameday(s3env, "run", "--backend", "process", "--repeat", "2", "--shard", fmt.Sprintf("%d/3", i),
				"--out", out, "--upload", "s3://results/pipeline-7", "scenarios/library")
			shardOuts, sessions, mine = append(shardOuts, out), append(sessions, s), append(mine, m)
		}
		seen := map[string]int{}
		for i, s := range sessions {
			Eventually(s, 5*time.Minute).Should(gexec.Exit(0), "shard %d/3", i+1)
			Expect(s.Out.Contents()).To(ContainSubstring(fmt.Sprintf("s3://results/pipeline-7/shard-%d-of-3", i+1)))
			r := readReport(shardOuts[i])
			Expect(r.Shard).To(Equal(&reports.Shard{Index: i + 1, Count: 3}))
			for _, sc := range r.Scenarios {
				for _, each := range sc.Repeats.Each {
					seen[fmt.Sprintf("%s@%d", sc.Name, each.Seed)]++
					Expect(filepath.Join(shardOuts[i], sc.Name, fmt.Sprintf("seed-%d", each.Seed), "journal.jsonl")).To(BeAnExistingFile())
				}
			}
		}
		// Every scenario × seed ran exactly once across the shards.
		Expect(seen).To(HaveLen(2 * len(libraryNames())))
		for pair, n := range seen {
			Expect(n).To(Equal(1), pair)
		}
		Expect(leftovers(mine...)).To(BeEmpty())

		local := filepath.Join(dir, "merged-local")
		s, _ := gameday(nil, append([]string{"merge", "--out", local}, shardOuts...)...)
		Eventually(s, time.Minute).Should(gexec.Exit(0))
		fromS3 := filepath.Join(dir, "merged-s3")
		s, _ = gameday(s3env, "merge", "--out", fromS3, "s3://results/pipeline-7")
		Eventually(s, time.Minute).Should(gexec.Exit(0))
		Expect(s.Out.Contents()).To(ContainSubstring("merged 3 shards"))

		single := filepath.Join(dir, "single")
		s, mineSingle := gameday(nil, "run", "--backend", "process", "--repeat", "2", "--parallel", "2", "--out", single, "scenarios/library")
		Eventually(s, 5*time.Minute).Should(gexec.Exit(0))
		Expect(leftovers(mineSingle)).To(BeEmpty())

		want := verdictsOf(readReport(single))
		Expect(want).To(HaveLen(len(libraryNames())))
		Expect(verdictsOf(readReport(local))).To(Equal(want))
		merged := readReport(fromS3)
		Expect(verdictsOf(merged)).To(Equal(want))
		Expect(merged.Summary).To(Equal(readReport(single).Summary))
		for _, name := range libraryNames() {
			for _, f := range []string{"journal.jsonl", "workload-run1-attempt0.log"} {
				matches, _ := filepath.Glob(filepath.Join(fromS3, name, "seed-*", f))
				Expect(matches).To(HaveLen(2), "%s/seed-*/%s", name, f)
			}
		}
		for _, f := range []string{reports.JUnitFile, reports.MarkdownFile} {
			Expect(filepath.Join(fromS3, f)).To(BeAnExistingFile())
		}
	})
})
