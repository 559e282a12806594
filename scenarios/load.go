package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gameday/gameday/internal/boundedfile"
	"github.com/gameday/gameday/internal/strictyaml"
)

// MaxFileSize bounds the files in scenario syntax that LoadFile,
// LoadFaults and LoadRoutes read. Those files are a few kilobytes; the
// bound keeps the YAML parser (some 450 bytes of memory per byte of a
// file made of tiny tokens) near 100 MB whatever the file holds.
const MaxFileSize = 256 << 10

// LoadFile reads, decodes, defaults and validates the scenario file at path.
// On failure the error is a strictyaml.Errors holding every problem of the
// file, each naming path (as given) and, where it lies inside the file,
// line and column.
func LoadFile(path string) (*Scenario, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, strictyaml.Errors{{File: path, Msg: fmt.Sprintf("resolve path: %v", err)}}
	}
	return load(path, abs, data)
}

// Load decodes, defaults and validates a scenario held in data. name is
// used in error messages; relative policy and from_file paths are resolved
// against dir. It exists for tests and fuzzing; files go through LoadFile.
func Load(name, dir string, data []byte) (*Scenario, error) {
	return load(name, filepath.Join(dir, filepath.Base(name)), data)
}

func load(name, abs string, data []byte) (*Scenario, error) {
	sc := &Scenario{}
	doc, errs := strictyaml.Decode(name, data, sc)
	if doc == nil || (len(errs) > 0 && !doc.Has("")) {
		return nil, errs.Err()
	}
	sc.File = abs
	sc.doc = doc
	v := &validator{doc: doc, dir: filepath.Dir(abs), sc: sc}
	v.scenario()
	all := append(errs, v.relevant(errs)...)
	if err := all.Err(); err != nil {
		return nil, err
	}
	return sc, nil
}

// LoadFaults reads a file holding a `faults:` list in scenario syntax, for
// `gameday proxy`. There `target` is optional and names nothing (the proxy
// has one upstream); `target: workload` and workload faults are rejected.
// Errors are as for LoadFile.
func LoadFaults(path string) ([]*Fault, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Faults []*Fault `yaml:"faults,required"`
	}
	doc, errs := strictyaml.Decode(path, data, &file)
	if len(errs) > 0 && !doc.Has("") {
		return nil, errs.Err()
	}
	v := &validator{doc: doc, sc: &Scenario{Timeout: 0}, faultsOnly: true}
	v.faults(file.Faults)
	all := append(errs, v.relevant(errs)...)
	if err := all.Err(); err != nil {
		return nil, err
	}
	return file.Faults, nil
}

// LoadRoutes reads a file holding a `routes:` list in the syntax of a stub
// target's routes (YAML or JSON), for `gameday stub`. Routes are decoded and
// checked exactly as in a scenario (status defaults to 200). Errors are as
// for LoadFile.
func LoadRoutes(path string) ([]*Route, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Routes []*Route `yaml:"routes,required"`
	}
	doc, errs := strictyaml.Decode(path, data, &file)
	if doc == nil || (len(errs) > 0 && !doc.Has("")) {
		return nil, errs.Err()
	}
	v := &validator{doc: doc, sc: &Scenario{}}
	v.routes("routes", file.Routes)
	all := append(errs, v.relevant(errs)...)
	if err := all.Err(); err != nil {
		return nil, err
	}
	return file.Routes, nil
}

// ReadFile reads a file in scenario syntax (a scenario, a faults file or a
// routes file) for loading: a regular file of at most MaxFileSize bytes
// (see boundedfile). The error is a strictyaml.Errors naming path.
func ReadFile(path string) ([]byte, error) {
	data, err := boundedfile.Read(path, MaxFileSize)
	if err != nil {
		return nil, strictyaml.Errors{{File: path, Msg: fileMessage(err)}}
	}
	return data, nil
}

// fileMessage is the reason of a boundedfile error, without the path.
func fileMessage(err error) string {
	var be *boundedfile.Error
	if errors.As(err, &be) {
		return be.Reason
	}
	return statMessage(err)
}

func statMessage(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Collect expands paths into scenario files: a file is taken as given; a
// directory gives the *.yaml files directly inside it (not in subfolders),
// sorted. A missing path or a directory without scenarios is an error
// (a strictyaml.Errors naming each); the files found are returned anyway.
func Collect(paths []string) ([]string, error) {
	var files []string
	var errs strictyaml.Errors
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			msg := statMessage(err)
			if cerr := boundedfile.Check(p, -1); cerr != nil {
				msg = fileMessage(cerr) // tells a dangling link from a missing file
			}
			errs = append(errs, &strictyaml.Error{File: p, Msg: msg})
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			errs = append(errs, &strictyaml.Error{File: p, Msg: statMessage(err)})
			continue
		}
		var found []string
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			found = append(found, filepath.Join(p, e.Name()))
		}
		if len(found) == 0 {
			errs = append(errs, &strictyaml.Error{File: p, Msg: fmt.Sprintf("no scenarios in %s", p)})
			continue
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	if len(paths) == 0 {
		errs = append(errs, &strictyaml.Error{File: "gameday", Msg: "no scenario paths given"})
	}
	return files, errs.Err()
}
