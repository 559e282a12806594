package lifecycle

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrBinaryMissing is wrapped by the errors of GamedayBinary and MinIOBinary.
var ErrBinaryMissing = errors.New("binary missing")

// GamedayBinary returns the gameday executable that stubs and the reference
// pipeline run as: $GAMEDAY_BIN when set, else the running executable when
// its name is gameday.
func GamedayBinary() (string, error) {
	if p := os.Getenv("GAMEDAY_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: gameday binary $GAMEDAY_BIN=%s does not exist", ErrBinaryMissing, p)
		}
		return p, nil
	}
	self, err := os.Executable()
	if err == nil && filepath.Base(self) == "gameday" {
		return self, nil
	}
	return "", fmt.Errorf("%w: gameday binary not found; set GAMEDAY_BIN or run `make build`", ErrBinaryMissing)
}

// MinIOBinary returns the MinIO server binary: $GAMEDAY_MINIO_BIN, else
// bin/minio under the working directory, else minio next to the gameday
// executable, else minio on PATH.
func MinIOBinary() (string, error) {
	if p := os.Getenv("GAMEDAY_MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: minio binary $GAMEDAY_MINIO_BIN=%s does not exist; run `make bin/minio`", ErrBinaryMissing, p)
		}
		return p, nil
	}
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		candidates = append(candidates, filepath.Join(wd, "bin", "minio"))
	}
	if g, err := GamedayBinary(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(g), "minio"))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: minio binary not found ($GAMEDAY_MINIO_BIN, ./bin/minio, beside gameday, PATH); run `make bin/minio`", ErrBinaryMissing)
}
