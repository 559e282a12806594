// Package boundedfile reads the files gameday is handed (scenarios,
// policies, fault and route files, from_file seed objects, report.json)
// without trusting them: only regular files, after following symbolic
// links, and never more than a cap the caller gives per kind of file.
//
// A FIFO, a device such as /dev/zero, a socket or a directory is refused
// before anything is read from it, and without blocking: the file is opened
// with O_NONBLOCK (so opening a FIFO never waits for a writer) and the
// opened file is checked again with fstat, so a path swapped between the
// check and the open is still caught. Reading stops one byte past the cap,
// so a size that lies (a file growing, or a special file whose size says 0)
// cannot make it read more.
//
//	data, err := boundedfile.Read("scenario.yaml", 1<<20)
//	if err != nil {
//		return err // e.g. "scenario.yaml: is a FIFO, not a regular file"
//	}
//
// Every error is an *Error naming the path and saying why in one line.
package boundedfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Error is why a file was not read. Its text is "PATH: reason", one line.
type Error struct {
	Path string
	// Reason is the short reason, e.g. "is a FIFO, not a regular file" or
	// "file too large (5000000 bytes; at most 1048576)".
	Reason string
	// Err is the underlying error, if any (fs.ErrNotExist,
	// fs.ErrPermission, ErrTooLarge, ErrNotRegular, ...).
	Err error
}

func (e *Error) Error() string { return e.Path + ": " + e.Reason }

func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrNotRegular is wrapped by errors about directories, devices,
	// FIFOs, sockets and other files that are not regular files.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is wrapped by errors about files larger than their cap.
	ErrTooLarge = errors.New("file too large")
)

// File is an open regular file whose reads stop after the cap. Read
// returns an *Error wrapping ErrTooLarge as soon as more than the cap was
// read. It is not safe for concurrent use.
type File struct {
	f    *os.File
	path string
	// Size is the size fstat reported when the file was opened; it is at
	// most the cap.
	Size int64
	max  int64
	read int64
}

// Read reads from the file; past the cap it fails with ErrTooLarge.
func (f *File) Read(p []byte) (int, error) {
	if f.read > f.max {
		return 0, f.tooLarge()
	}
	if left := f.max + 1 - f.read; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := f.f.Read(p)
	f.read += int64(n)
	if f.read > f.max {
		return n - int(f.read-f.max), f.tooLarge()
	}
	return n, err
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

func (f *File) tooLarge() error {
	return &Error{Path: f.path, Reason: fmt.Sprintf("file too large (more than %d bytes; at most %d)", f.max, f.max), Err: ErrTooLarge}
}

// Open opens the file at path for reading if, after following symbolic
// links, it is a regular file of at most max bytes (max < 0: no cap). It
// never blocks on a FIFO and never reads from anything but a regular file.
func Open(path string, max int64) (*File, error) {
	if max < 0 {
		max = 1<<63 - 2
	}
	fail := func(reason string, err error) (*File, error) {
		return nil, &Error{Path: path, Reason: reason, Err: err}
	}
	// Look before opening: opening a device can have effects of its own.
	fi, err := os.Stat(path)
	if err != nil {
		return fail(statReason(path, err), err)
	}
	if reason := kindReason(fi.Mode()); reason != "" {
		return fail(reason, ErrNotRegular)
	}
	osf, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return fail(statReason(path, err), err)
	}
	// Check what was opened, not what the path named a moment ago.
	fi, err = osf.Stat()
	if err != nil {
		_ = osf.Close()
		return fail(statReason(path, err), err)
	}
	if reason := kindReason(fi.Mode()); reason != "" {
		_ = osf.Close()
		return fail(reason, ErrNotRegular)
	}
	if fi.Size() > max {
		_ = osf.Close()
		return fail(fmt.Sprintf("file too large (%d bytes; at most %d)", fi.Size(), max), ErrTooLarge)
	}
	return &File{f: osf, path: path, Size: fi.Size(), max: max}, nil
}

// Read returns the contents of the file at path under the rules of Open:
// a regular file of at most max bytes (max < 0: no cap).
func Read(path string, max int64) ([]byte, error) {
	f, err := Open(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	b.Grow(int(f.Size) + bytes.MinRead) // a hint only: the file may have changed since fstat
	if _, err := b.ReadFrom(f); err != nil {
		var be *Error
		if errors.As(err, &be) {
			return nil, err
		}
		return nil, &Error{Path: path, Reason: ioReason(err), Err: err}
	}
	return b.Bytes(), nil
}

// Check reports whether the file at path could be opened by Open, without
// reading it.
func Check(path string, max int64) error {
	f, err := Open(path, max)
	if err != nil {
		return err
	}
	return f.Close()
}

// kindReason says why a file of this mode is refused, or "" for a regular
// file.
func kindReason(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "is a directory, not a regular file"
	case m&fs.ModeNamedPipe != 0:
		return "is a FIFO, not a regular file"
	case m&fs.ModeSocket != 0:
		return "is a socket, not a regular file"
	case m&fs.ModeCharDevice != 0:
		return "is a character device, not a regular file"
	case m&fs.ModeDevice != 0:
		return "is a block device, not a regular file"
	default:
		return "is not a regular file"
	}
}

// statReason turns a failed stat or open into a short reason, telling a
// dangling symbolic link from a missing file.
func statReason(path string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if to, rerr := os.Readlink(path); rerr == nil {
				return fmt.Sprintf("is a dangling symbolic link (to %s)", to)
			}
			return "is a dangling symbolic link"
		}
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.ELOOP):
		return "too many levels of symbolic links"
	case errors.Is(err, syscall.ENXIO):
		return "is a socket or device without a reader, not a regular file"
	}
	return ioReason(err)
}

func ioReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
