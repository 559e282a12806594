package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/onsi/gomega/gexec"

	"github.com/gameday/gameday/internal/testenv"
)

// BenchmarkLibrary measures the suite time: the wall time of `gameday run
// --backend process scenarios/library` with the built binary, at
// --parallel 1 and --parallel 4, reported as s-parallel1 and s-parallel4
// (seconds per run of the whole library) and speedup-parallel4 (the first
// over the second). Target: under 90 s on 2 cores. Every scenario must pass.
// `make bench` runs it with the binary `make build` wrote ($GAMEDAY_BIN);
// without one it builds its own.
func BenchmarkLibrary(b *testing.B) {
	bin := os.Getenv("GAMEDAY_BIN")
	if bin == "" {
		var err error
		bin, err = gexec.Build("github.com/gameday/gameday/cmd/gameday")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(gexec.CleanupBuildArtifacts)
	}
	minioBin, err := testenv.MinIOBinary()
	if err != nil {
		b.Fatal(err)
	}
	root, err := testenv.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	run := func(parallel int) time.Duration {
		b.Helper()
		dir := b.TempDir()
		cmd := exec.Command(bin, "run", "--backend", "process", "--parallel", strconv.Itoa(parallel),
			"--out", filepath.Join(dir, "out"), "scenarios/library")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GAMEDAY_BIN="+bin, "GAMEDAY_MINIO_BIN="+minioBin,
			"GAMEDAY_STATE_HOME="+filepath.Join(dir, "state"), "CI=true")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(start)
		if err != nil {
			b.Fatalf("library at --parallel %d: %v\n%s", parallel, err, out)
		}
		return wall
	}
	b.ResetTimer()
	var p1, p4 time.Duration
	for range b.N {
		p1 += run(1)
		p4 += run(4)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(p1.Seconds()/n, "s-parallel1")
	b.ReportMetric(p4.Seconds()/n, "s-parallel4")
	b.ReportMetric(p1.Seconds()/p4.Seconds(), "speedup-parallel4")
	b.ReportMetric(0, "ns/op") // the wall times above say it better
}
