package testenv_test

import (
	"testing"

	"github.com/gameday/gameday/internal/portlock"
	"github.com/gameday/gameday/internal/testenv"
)

func TestReservePortIsReservedAcrossAllocators(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(portlock.EnvDir, dir)
	port, release, err := testenv.ReservePort()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := portlock.Open(dir) // another process's view: its own open file
	if _, ok, _ := other.TryLock(port); ok {
		t.Fatalf("port %d reserved by ReservePort, yet another holder got it", port)
	}
	release()
	l, ok, err := other.TryLock(port)
	if !ok || err != nil {
		t.Fatalf("port %d after release: ok=%v err=%v", port, ok, err)
	}
	l.Release()

	fp, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := other.TryLock(fp); ok {
		t.Fatalf("FreePort's port %d is not held", fp)
	}
}
