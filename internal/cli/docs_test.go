package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDocsCLIIsCurrent fails when docs/cli no longer matches the commands:
// run `make docs` after changing a command, a flag or a help text.
func TestDocsCLIIsCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := GenerateDocs(dir, filepath.Join(dir, "man")); err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	have, _ := filepath.Glob(filepath.Join("..", "..", "docs", "cli", "*.md"))
	if len(want) == 0 || len(have) != len(want) {
		t.Fatalf("docs/cli has %d pages, the commands make %d: run make docs", len(have), len(want))
	}
	for _, w := range want {
		gen, _ := os.ReadFile(w)
		got, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli", filepath.Base(w)))
		if err != nil || string(got) != string(gen) {
			t.Errorf("docs/cli/%s is stale: run make docs", filepath.Base(w))
		}
	}
	man, _ := filepath.Glob(filepath.Join(dir, "man", "*.1"))
	if len(man) != len(want) {
		t.Errorf("%d man pages for %d commands", len(man), len(want))
	}
}

// TestDocsEnvTableIsCurrent fails when docs/scenarios.md's workload
// environment table no longer matches scenarios.WorkloadEnvironment.
func TestDocsEnvTableIsCurrent(t *testing.T) {
	page := filepath.Join("..", "..", "docs", "scenarios.md")
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("docs/scenarios.md: %v", err)
	}
	tmp := filepath.Join(t.TempDir(), "scenarios.md")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := UpdateEnvTable(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if changed {
		t.Error("docs/scenarios.md's workload environment table is stale: run make docs")
	}
}
