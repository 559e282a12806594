package lifecycle

import (
	"encoding/binary"
	mrand "math/rand/v2"
)

// SetAfterAllocate makes b call hook with a target's ports after it
// allocated them and before the target's program starts.
func SetAfterAllocate(b Backend, hook func(ports []int)) {
	switch b := b.(type) {
	case *processBackend:
		b.afterAllocate = hook
	case *dockerBackend:
		b.afterAllocate = hook
	}
}

// ErrPortTaken exposes errPortTaken.
var ErrPortTaken = errPortTaken

// ParseListeners exposes parseListeners.
var ParseListeners = parseListeners

// NewPortsDirRand is NewPortsDir with a fixed seed: two of them with one
// seed draw the same candidates, so only the lock directory keeps them
// apart.
func NewPortsDirRand(dir string, seed uint64) *Ports {
	p := NewPortsDir(dir)
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	p.rng = mrand.New(mrand.NewChaCha8(b))
	return p
}

// GroupMembers exposes groupMembers.
var GroupMembers = groupMembers

// SweepRun exposes sweepRun.
var SweepRun = sweepRun
