package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/cli"
	"github.com/gameday/gameday/reports"
	"github.com/gameday/gameday/shard"
)

// writeScenario writes a scenario that needs nothing but /bin/true.
func writeScenario(t *testing.T, dir, name, seed string) string {
	t.Helper()
	p := filepath.Join(dir, name+".yaml")
	sc := "name: " + name + "\n" + seed + "targets: {api: {kind: stub}}\nworkload: {exec: [/bin/true]}\n"
	if err := os.WriteFile(p, []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunShardBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	seeded := writeScenario(t, dir, "seeded", "seed: 3\n")
	unseeded := writeScenario(t, dir, "unseeded", "")
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--out", out, "--shard", "4/3", seeded}, "--shard \"4/3\": I must be 1..3"},
		{[]string{"run", "--out", out, "--shard", "x", seeded}, "--shard \"x\": want I/N"},
		{[]string{"run", "--out", out, "--shard", "0/0", seeded}, "N must be"},
		{[]string{"run", "--out", out, "--shard", "job/2", seeded}, "JOB_COMPLETION_INDEX"},
		{[]string{"run", "--out", out, "--shard", "1/2", seeded, unseeded}, "scenario unseeded"},
		{[]string{"run", "--out", out, "--upload", "gs://b/x", seeded}, "--upload \"gs://b/x\": want s3://bucket/prefix"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != cli.ExitBadInput || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", tc.args, code, errOut, tc.want)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if code, _, errOut := runCLI(t, "run", "--out", out, "--upload", "s3://b/x", seeded); code != cli.ExitBadInput || !strings.Contains(errOut, "AWS_ACCESS_KEY_ID") {
		t.Errorf("--upload without credentials: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("bad input created %s", out)
	}
}

// TestEmptyShardsMerge: a shard that holds no pair writes an empty report
// and exits 0; merging it with the others is exit 0 too, and merge
// refuses a shard given twice, a missing one and a newer format.
func TestEmptyShardsMerge(t *testing.T) {
	dir := t.TempDir()
	sc := writeScenario(t, dir, "lonely", "seed: 11\n")
	holder := shard.Assign([]shard.Pair{{Name: "lonely", Seed: 11}}, 3)[shard.Pair{Name: "lonely", Seed: 11}]
	var shardDirs []string
	for i := 1; i <= 3; i++ {
		if i == holder {
			continue // would boot a stub; the empty ones need nothing
		}
		out := filepath.Join(dir, "shard", string(rune('0'+i)))
		code, stdout, errOut := runCLI(t, "run", "--backend", "process", "--shard", string(rune('0'+i))+"/3", "--out", out, sc)
		if code != cli.ExitOK {
			t.Fatalf("empty shard %d/3: exit %d\n%s%s", i, code, stdout, errOut)
		}
		r, err := reports.ReadFile(filepath.Join(out, reports.JSONFile))
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Scenarios) != 0 || r.Shard == nil || *r.Shard != (reports.Shard{Index: i, Count: 3}) {
			t.Fatalf("empty shard %d/3 report: %d scenarios, shard %v", i, len(r.Scenarios), r.Shard)
		}
		shardDirs = append(shardDirs, out)
	}

	code, _, errOut := runCLI(t, append([]string{"merge", "--out", filepath.Join(dir, "m1")}, shardDirs...)...)
	if code != cli.ExitBadInput || !strings.Contains(errOut, "missing") {
		t.Fatalf("merge without shard %d: exit %d, %q; want exit 2 naming the missing shard", holder, code, errOut)
	}
	code, _, errOut = runCLI(t, "merge", "--out", filepath.Join(dir, "m2"), shardDirs[0], shardDirs[0])
	if code != cli.ExitBadInput || !strings.Contains(errOut, "given twice") {
		t.Fatalf("merge of one shard twice: exit %d, %q", code, errOut)
	}

	// The holder's report, as if it had run and passed.
	held := filepath.Join(dir, "shard", "held")
	if err := os.MkdirAll(filepath.Join(held, "lonely"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(held, "lonely", "journal.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &reports.Result{Backend: "process", Shard: &reports.Shard{Index: holder, Count: 3}, Scenarios: []reports.Scenario{
		{Name: "lonely", File: sc, Seed: 11, Passed: true, Expectations: []reports.Expectation{{Name: "outcome", Passed: true}}},
	}}
	if err := reports.WriteFiles(held, r); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged")
	// The parent folder of the shards is searched for report.json files.
	code, stdout, errOut := runCLI(t, "merge", "--out", merged, filepath.Join(dir, "shard"))
	if code != cli.ExitOK {
		t.Fatalf("merge: exit %d\n%s%s", code, stdout, errOut)
	}
	m, err := reports.ReadFile(filepath.Join(merged, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Scenarios) != 1 || m.Scenarios[0].Name != "lonely" || m.Shard != nil || !strings.HasPrefix(m.Command, "gameday merge") {
		t.Fatalf("merged report: %+v", m)
	}
	for _, f := range []string{reports.JUnitFile, reports.MarkdownFile, "lonely/journal.jsonl"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Errorf("merged output: %v", err)
		}
	}
	if !strings.Contains(stdout, "merged 3 shards") {
		t.Errorf("stdout %q", stdout)
	}

	code, _, errOut = runCLI(t, "merge", "--out", merged, filepath.Join(dir, "shard"))
	if code != cli.ExitBadInput || !strings.Contains(errOut, "not empty") {
		t.Fatalf("merge into a used folder: exit %d, %q", code, errOut)
	}

	newer := filepath.Join(dir, "newer")
	if err := os.MkdirAll(newer, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(newer, reports.JSONFile), []byte(`{"format_version": 99, "scenarios": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI(t, "merge", "--out", filepath.Join(dir, "m3"), held, newer)
	if code != cli.ExitBadInput || !strings.Contains(errOut, "format_version 99") {
		t.Fatalf("merge with a newer format: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "merge", "--out", filepath.Join(dir, "m4"), filepath.Join(dir, "nowhere"))
	if code != cli.ExitBadInput || !strings.Contains(errOut, "nowhere") {
		t.Fatalf("merge of a missing folder: exit %d, %q", code, errOut)
	}
}
