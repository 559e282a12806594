package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday/gameday/scenarios"
)

// slowLoad is longer than loading any input of the size a fuzzer makes
// should take; a slower input is a finding (a hang in the making).
const slowLoad = 2 * time.Second

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic nor
// take long, and an invalid input must come back as positioned errors
// naming the file.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/good/*.yaml", "testdata/bad/*.yaml", "library/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	dir, err := filepath.Abs("testdata/good")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		sc, err := scenarios.Load("fuzz.yaml", dir, data)
		if d := time.Since(start); d > slowLoad {
			t.Fatalf("loading %d bytes took %s", len(data), d)
		}
		if err == nil {
			if sc == nil || sc.Name == "" {
				t.Fatalf("no error but no scenario")
			}
			return
		}
		msg := err.Error()
		if strings.Contains(msg, "internal error") {
			t.Fatalf("internal error: %s", msg)
		}
		for _, line := range strings.Split(msg, "\n") {
			if !strings.HasPrefix(line, "fuzz.yaml") {
				t.Fatalf("error line does not name the file: %q", line)
			}
		}
	})
}
