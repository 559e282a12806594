package lifecycle

import (
	"crypto/rand"
	"encoding/hex"
)

func cryptoRandom(b []byte) { _, _ = rand.Read(b) }

func randomHex(random func([]byte), n int) string {
	b := make([]byte, n)
	random(b)
	return hex.EncodeToString(b)
}
