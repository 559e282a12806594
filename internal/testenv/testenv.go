// Package testenv gives test suites the real parts they run against: the
// module root, the pinned MinIO binary and a MinIO server started as a child
// process on 127.0.0.1. It is for tests only; the harness has its own
// backends.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// ModuleRoot returns the directory holding go.mod, searched upwards from the
// working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// MinIOBinary returns $GAMEDAY_MINIO_BIN, else <module root>/bin/minio. It
// fails with the fix (`make bin/minio`) when the file is missing.
func MinIOBinary() (string, error) {
	p := os.Getenv("GAMEDAY_MINIO_BIN")
	if p == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", err
		}
		p = filepath.Join(root, "bin", "minio")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("minio binary %s missing: run `make bin/minio`", p)
	}
	return p, nil
}

// FreePort returns a port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// MinIO is a MinIO server running as a child process.
type MinIO struct {
	Endpoint  string // host:port, 127.0.0.1
	AccessKey string
	SecretKey string
	DataDir   string
	cmd       *exec.Cmd
	done      chan struct{}
}

// URL returns http://Endpoint.
func (m *MinIO) URL() string { return "http://" + m.Endpoint }

// Stop kills the server's process group and waits for it.
func (m *MinIO) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.done
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// StartMinIO starts a MinIO server on a free 127.0.0.1 port with random
// credentials and a data dir under dir, and waits until
// /minio/health/ready answers 200 or ctx ends. The caller must Stop it.
func StartMinIO(ctx context.Context, dir string) (*MinIO, error) {
	bin, err := MinIOBinary()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	m := &MinIO{
		Endpoint:  fmt.Sprintf("127.0.0.1:%d", port),
		AccessKey: "gd" + randomHex(8),
		SecretKey: randomHex(20),
		DataDir:   filepath.Join(dir, "minio-data"),
		done:      make(chan struct{}),
	}
	if err := os.MkdirAll(m.DataDir, 0o700); err != nil {
		return nil, err
	}
	consolePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "server", "--quiet", "--address", m.Endpoint,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", consolePort), m.DataDir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	logf, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start minio: %w", err)
	}
	m.cmd = cmd
	go func() { _ = cmd.Wait(); logf.Close(); close(m.done) }()

	ready := "http://" + m.Endpoint + "/minio/health/ready"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ready, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m, nil
			}
		}
		select {
		case <-ctx.Done():
			m.Stop()
			return nil, fmt.Errorf("minio at %s not ready: %w (log: %s)", m.Endpoint, ctx.Err(), logf.Name())
		case <-m.done:
			return nil, fmt.Errorf("minio exited before it was ready (log: %s)", logf.Name())
		case <-tick.C:
		}
	}
}
