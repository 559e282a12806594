package testenv

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	"github.com/testcontainers/testcontainers-go"

	"github.com/gameday/gameday/harness/lifecycle"
)

// BuildOnce is the first function of a suite's SynchronizedBeforeSuite for
// the suites that start targets: it builds the gameday binary and, where a
// Docker daemon answers, rebuilds the images (`make images`, one suite at a
// time), so the docker specs run the code under test. Its result goes to
// SetupEach.
func BuildOnce() []byte {
	bin, err := gexec.Build("github.com/gameday/gameday/cmd/gameday")
	Expect(err).NotTo(HaveOccurred())
	docker := "no"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cli, err := lifecycle.DockerClient(ctx); err == nil {
		cli.Close()
		root, err := ModuleRoot()
		Expect(err).NotTo(HaveOccurred())
		Expect(makeImages(root)).To(Succeed())
		docker = "yes"
	}
	return []byte(bin + "\n" + docker)
}

// makeImages runs `make images` under an exclusive lock, as `go test ./...`
// runs several suites that need the images at once.
func makeImages(root string) error {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "gameday-make-images.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	cmd := exec.Command("make", "images")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return &makeError{err: err, out: string(out)}
	}
	return nil
}

type makeError struct {
	err error
	out string
}

func (e *makeError) Error() string { return "make images: " + e.err.Error() + "\n" + e.out }

// SetupEach is the second function of SynchronizedBeforeSuite: every
// process points the harness at the built binary, the pinned MinIO and a
// state home of its own. It reports whether a Docker daemon answered.
func SetupEach(data []byte) (dockerReady bool) {
	parts := strings.SplitN(string(data), "\n", 2)
	DeferCleanup(gexec.CleanupBuildArtifacts)
	Expect(os.Setenv("GAMEDAY_BIN", parts[0])).To(Succeed())
	minioBin, err := MinIOBinary()
	Expect(err).NotTo(HaveOccurred())
	Expect(os.Setenv("GAMEDAY_MINIO_BIN", minioBin)).To(Succeed())
	state := GinkgoT().TempDir()
	Expect(os.Setenv("GAMEDAY_STATE_HOME", filepath.Join(state, "state"))).To(Succeed())
	return parts[1] == "yes"
}

// RequireDocker skips a docker spec where no daemon answers (ready is
// false), except in CI where that is a failure.
func RequireDocker(ready bool) {
	if ready {
		return
	}
	if os.Getenv("CI") == "true" {
		Fail("CI=true but no Docker daemon answers: run scripts/docker-setup.sh")
	}
	Skip("no Docker daemon answers (run scripts/docker-setup.sh)")
}

// ContainerInspect inspects container id.
func ContainerInspect(ctx context.Context, cli *testcontainers.DockerClient, id string) (container.InspectResponse, error) {
	res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	return res.Container, err
}

// HTTPGet returns the status of a GET, or an error.
func HTTPGet(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ReadObject reads bucket/key whole.
func ReadObject(ctx context.Context, cl *minio.Client, bucket, key string) ([]byte, error) {
	o, err := cl.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// ProcessGone reports whether pid no longer runs: absent, or a zombie
// waiting for a reaper (an orphan killed by Pdeathsig in a container whose
// init does not reap).
func ProcessGone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}
