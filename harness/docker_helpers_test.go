package harness_test

import (
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

func containerInspect(ctx context.Context, cli *testcontainers.DockerClient, id string) (container.InspectResponse, error) {
	res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	return res.Container, err
}

// httpGet returns the status of a GET, or an error.
func httpGet(ctx context.Context, url string) (int, error) {
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

func itoa(n int) string { return strconv.Itoa(n) }
