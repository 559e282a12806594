package scenarios

import (
	"crypto/rand"
	"encoding/binary"
)

// MaxRandomSeed bounds the seeds RandomSeed draws: positive and short
// enough to type back in with --seed.
const MaxRandomSeed = 1_000_000_000

// SeedFor returns the seed a run of s uses: override when set (--seed),
// else the file's seed, else RandomSeed(random). It is the one seed
// fallback of gameday run, up and every command that boots a scenario.
func (s *Scenario) SeedFor(override *int64, random func([]byte)) int64 {
	if seed, ok := s.FixedSeed(override); ok {
		return seed
	}
	return RandomSeed(random)
}

// FixedSeed returns the seed a run of s uses when it is known before the
// run: override (--seed) when set, else the file's; ok is false when the
// seed would be drawn at random (sharding needs it fixed).
func (s *Scenario) FixedSeed(override *int64) (seed int64, ok bool) {
	switch {
	case override != nil:
		return *override, true
	case s.Seed != nil:
		return *s.Seed, true
	}
	return 0, false
}

// RandomSeed draws a seed in [0, MaxRandomSeed) from random (nil:
// crypto/rand). Every seed gameday draws comes from here and is printed,
// so any run can be replayed.
func RandomSeed(random func([]byte)) int64 {
	if random == nil {
		random = func(b []byte) { _, _ = rand.Read(b) }
	}
	var b [8]byte
	random(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) % MaxRandomSeed)
}
