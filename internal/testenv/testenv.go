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
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gameday/gameday/internal/portlock"
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

// FreePort returns a port on 127.0.0.1 that was free a moment ago and that
// stays reserved for the life of this process: like the harness's
// allocator it holds a lock file in the directory every gameday process
// shares (internal/portlock), so a parallel test binary or gameday run never
// gets it. Use ReservePort to give it back earlier.
func FreePort() (int, error) {
	port, release, err := ReservePort()
	if err != nil {
		return 0, err
	}
	keptMu.Lock()
	kept = append(kept, release) // reachable: a collected lock file closes
	keptMu.Unlock()
	return port, nil
}

var (
	keptMu sync.Mutex
	kept   []func()
)

// ReservePort is FreePort with a release function that gives the port back.
// The port is drawn at random below the kernel's ephemeral range, so no
// outgoing connection takes it as its source port.
func ReservePort() (port int, release func(), err error) {
	dir, err := portlock.Default()
	if err != nil {
		return 0, nil, err
	}
	lo, hi := 15000, portlock.EphemeralLow()
	for range 256 {
		port := 0
		if hi-lo >= 1000 {
			port = lo + mrand.IntN(hi-lo)
		} else if port, err = kernelPort(); err != nil {
			return 0, nil, err
		}
		l, ok, err := dir.TryLock(port)
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			continue
		}
		c, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			l.Release()
			continue
		}
		c.Close()
		return port, l.Release, nil
	}
	return 0, nil, errors.New("reserve port: no free port after 256 tries")
}

func kernelPort() (int, error) {
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
	release   []func() // port reservations, given back by Stop
}

// URL returns http://Endpoint.
func (m *MinIO) URL() string { return "http://" + m.Endpoint }

// Stop kills the server's process group, waits for it and gives its ports
// back.
func (m *MinIO) Stop() {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-m.done
	}
	for _, r := range m.release {
		r()
	}
	m.release = nil
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
	port, release, err := ReservePort()
	if err != nil {
		return nil, err
	}
	m := &MinIO{
		Endpoint:  fmt.Sprintf("127.0.0.1:%d", port),
		AccessKey: "gd" + randomHex(8),
		SecretKey: randomHex(20),
		DataDir:   filepath.Join(dir, "minio-data"),
		done:      make(chan struct{}),
		release:   []func(){release},
	}
	if err := os.MkdirAll(m.DataDir, 0o700); err != nil {
		m.Stop()
		return nil, err
	}
	consolePort, releaseConsole, err := ReservePort()
	if err != nil {
		m.Stop()
		return nil, err
	}
	m.release = append(m.release, releaseConsole)
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
		m.Stop()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		m.Stop()
		return nil, fmt.Errorf("start minio: %w", err)
	}
	m.cmd = cmd
	go func() { _ = cmd.Wait(); logf.Close(); close(m.done) }()

	ready := "http://" + m.Endpoint + "/minio/health/ready"
	// /minio/health/ready can answer 200 a moment before MinIO serves
	// signed API calls (a first bucket call may still get a 503), so a
	// signed ListBuckets must succeed too; suites then create buckets with
	// clients that do not retry (MaxRetries: 1) without a transient 503.
	api, err := minio.New(m.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""), Region: "us-east-1", MaxRetries: 1,
	})
	if err != nil {
		m.Stop()
		return nil, fmt.Errorf("minio client: %w", err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ready, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if _, err := api.ListBuckets(ctx); err == nil {
					return m, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			m.Stop()
			return nil, fmt.Errorf("minio at %s not ready: %w (log: %s)", m.Endpoint, ctx.Err(), logf.Name())
		case <-m.done:
			m.Stop()
			return nil, fmt.Errorf("minio exited before it was ready (log: %s)", logf.Name())
		case <-tick.C:
		}
	}
}
