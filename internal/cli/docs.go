package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gameday/gameday/scenarios"
	"github.com/spf13/cobra/doc"
)

// Generated blocks of topic pages: make docs rewrites what lies between
// these markers from the code, and a test fails when a page is stale.
const (
	EnvTableBegin = "<!-- generated: workload environment (make docs) -->"
	EnvTableEnd   = "<!-- end generated -->"
)

// UpdateEnvTable rewrites the workload-environment table between the
// markers of the page at path (docs/scenarios.md) from
// scenarios.WorkloadEnvironment. It reports whether the page changed; a
// page without the markers is an error.
func UpdateEnvTable(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	page := string(b)
	i, j := strings.Index(page, EnvTableBegin), strings.Index(page, EnvTableEnd)
	if i < 0 || j < i {
		return false, fmt.Errorf("%s: no %q ... %q block", path, EnvTableBegin, EnvTableEnd)
	}
	out := page[:i+len(EnvTableBegin)] + "\n" + scenarios.EnvTable() + page[j:]
	if out == page {
		return false, nil
	}
	return true, os.WriteFile(path, []byte(out), 0o644)
}

// GenerateDocs writes the CLI reference generated from the cobra commands:
// one Markdown page per command to mdDir (docs/cli) and, when manDir is
// not empty, one man page per command to manDir. The output depends on
// the commands only (no dates), so a test can tell when docs/cli is stale.
func GenerateDocs(mdDir, manDir string) error {
	root := newRoot(io.Discard, io.Discard)
	root.DisableAutoGenTag = true
	if err := os.MkdirAll(mdDir, 0o755); err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	// The generator leaves pages of removed commands behind: start clean.
	old, _ := filepath.Glob(filepath.Join(mdDir, "gameday*.md"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	prepend := func(string) string { return "" }
	link := func(name string) string { return name }
	if err := doc.GenMarkdownTreeCustom(root, mdDir, prepend, link); err != nil {
		return fmt.Errorf("docs: markdown: %w", err)
	}
	if manDir == "" {
		return nil
	}
	if err := os.MkdirAll(manDir, 0o755); err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	hdr := &doc.GenManHeader{Title: "GAMEDAY", Section: "1", Source: "gameday", Manual: "gameday manual"}
	if err := doc.GenManTree(root, hdr, manDir); err != nil {
		return fmt.Errorf("docs: man: %w", err)
	}
	return nil
}
