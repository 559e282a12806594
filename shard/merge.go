package shard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gameday/gameday/reports"
)

// Find returns the shard folders under roots, in order: a root holding a
// report.json is one, else every folder below it that holds one is (the
// search does not go inside a shard folder). A root with none is an error,
// so a CI download that went wrong is not merged as an empty run.
func Find(roots []string) ([]string, error) {
	var out []string
	for _, root := range roots {
		st, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s: not a folder (give the folder holding %s)", root, reports.JSONFile)
		}
		before := len(out)
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if _, err := os.Stat(filepath.Join(path, reports.JSONFile)); err == nil {
				out = append(out, path)
				return fs.SkipDir
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == before {
			return nil, fmt.Errorf("%s: no %s in it or below it", root, reports.JSONFile)
		}
	}
	return out, nil
}

// ReadParts reads the report.json of every shard folder.
func ReadParts(dirs []string) ([]reports.Part, error) {
	var parts []reports.Part
	for _, d := range dirs {
		r, err := reports.ReadFile(filepath.Join(d, reports.JSONFile))
		if err != nil {
			return nil, err
		}
		parts = append(parts, reports.Part{Source: d, Result: r})
	}
	return parts, nil
}

// WriteMerged writes a merged run into out, which must be missing or empty:
// every shard folder's per-scenario folders (journals, logs), then the
// report files of res (reports.WriteFiles). The shards' own report files at
// the top of their folders are left behind. A file present in two shards
// with different content is an error; with the same content it is copied
// once.
func WriteMerged(out string, res *reports.Result, dirs []string) error {
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
		return fmt.Errorf("merge: %s is not empty; merge into a new folder", out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("merge: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue // report.json, junit.xml, summary.md ...: written anew below
			}
			if err := copyTree(filepath.Join(d, e.Name()), filepath.Join(out, e.Name())); err != nil {
				return fmt.Errorf("merge: %w", err)
			}
		}
	}
	return reports.WriteFiles(out, res)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, to)
		}
		return nil // sockets, symlinks: nothing a report needs
	})
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if have, err := os.ReadFile(dst); err == nil {
		if bytes.Equal(have, data) {
			return nil
		}
		return fmt.Errorf("%s: two shards hold different files of that name", dst)
	}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	_, werr := io.Copy(f, bytes.NewReader(data))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}
