package reports

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The files WriteFiles writes into a run's output folder.
const (
	JSONFile     = "report.json"
	JUnitFile    = "junit.xml"
	MarkdownFile = "summary.md"
)

// WriteFiles writes report.json, junit.xml, summary.md and report.html
// into dir, which must exist. It calls r.Summarize first, so the runner
// need not. Every writer is a pure function of r: redact r before (the
// runner does, with its one Redactor).
func WriteFiles(dir string, r *Result) error {
	r.Summarize()
	for _, f := range []struct {
		name  string
		write func(io.Writer, *Result) error
	}{
		{JSONFile, WriteJSON},
		{JUnitFile, WriteJUnit},
		{MarkdownFile, WriteMarkdown},
		{HTMLFile, WriteHTML},
	} {
		if err := writeFile(filepath.Join(dir, f.name), r, f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, r *Result, write func(io.Writer, *Result) error) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	werr := write(out, r)
	cerr := out.Close()
	if werr != nil {
		return fmt.Errorf("write %s: %w", path, werr)
	}
	if cerr != nil {
		return fmt.Errorf("write report: %w", cerr)
	}
	return nil
}
