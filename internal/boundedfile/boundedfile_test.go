package boundedfile_test

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gameday/gameday/internal/boundedfile"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, to string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small.yaml", "name: x\n")
	empty := write("empty.yaml", "")
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.yaml")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	loop := link("loop.yaml", "loop.yaml")

	for _, tc := range []struct {
		name, path string
		max        int64
		want       string // "" = success with the file's contents
		is         error
	}{
		{"regular", small, 100, "", nil},
		{"regular at the cap", small, 8, "", nil},
		{"empty", empty, 0, "", nil},
		{"no cap", small, -1, "", nil},
		{"link to regular", link("ok.yaml", small), 100, "", nil},
		{"too large", small, 7, "file too large (8 bytes; at most 7)", boundedfile.ErrTooLarge},
		// /proc files say size 0 and are regular: the read itself is capped.
		{"size that lies", "/proc/self/status", 10, "file too large (more than 10 bytes; at most 10)", boundedfile.ErrTooLarge},
		{"directory", dir, 100, "is a directory, not a regular file", boundedfile.ErrNotRegular},
		{"fifo", fifo, 100, "is a FIFO, not a regular file", boundedfile.ErrNotRegular},
		{"link to fifo", link("lfifo.yaml", fifo), 100, "is a FIFO, not a regular file", boundedfile.ErrNotRegular},
		{"device", "/dev/zero", 100, "is a character device, not a regular file", boundedfile.ErrNotRegular},
		{"link to device", link("zero.yaml", "/dev/zero"), 100, "is a character device, not a regular file", boundedfile.ErrNotRegular},
		{"socket", sock, 100, "is a socket, not a regular file", boundedfile.ErrNotRegular},
		{"missing", filepath.Join(dir, "missing.yaml"), 100, "no such file or directory", os.ErrNotExist},
		{"dangling link", link("dangling.yaml", "gone.yaml"), 100, "is a dangling symbolic link (to gone.yaml)", os.ErrNotExist},
		{"link loop", loop, 100, "too many levels of symbolic links", syscall.ELOOP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := boundedfile.Read(tc.path, tc.max)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				want, _ := os.ReadFile(tc.path)
				if string(data) != string(want) {
					t.Fatalf("Read = %q, want %q", data, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Read succeeded, want %q", tc.want)
			}
			if got, want := err.Error(), tc.path+": "+tc.want; got != want {
				t.Errorf("error %q, want %q", got, want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if err := boundedfile.Check(tc.path, tc.max); err == nil && tc.is != boundedfile.ErrTooLarge {
				t.Errorf("Check accepted what Read refused")
			}
		})
	}
}

// TestOpenStopsPastTheCap reads a file that grew after Open: the reader
// stops one byte past the cap whatever fstat said.
func TestOpenStopsPastTheCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "seed.bin")
	if err := os.WriteFile(p, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := boundedfile.Open(p, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size != 5 {
		t.Fatalf("Size = %d, want 5", f.Size)
	}
	if err := os.WriteFile(p, []byte("1234567890"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if !errors.Is(err, boundedfile.ErrTooLarge) {
		t.Fatalf("ReadAll error %v, want ErrTooLarge", err)
	}
	if string(data) != "12345678" {
		t.Fatalf("read %q, want the first 8 bytes", data)
	}
}
