package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra/doc"
)

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
