package gameday_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gameday/gameday"
	"github.com/gameday/gameday/scenarios"
)

// models is the scenario of the examples: one MinIO target with a bucket,
// and a 503 on the first upload once armed.
const models = `name: models
seed: 1
targets:
  storage: {kind: minio, buckets: [models]}
workload: {exec: ["true"]}
faults:
  - {name: one-503, target: storage, match: {method: PUT, path: "/models/*"}, action: {status: 503}, times: 1}
expect:
  retries_after:
    - {status: [401, 403], max: 0}
  requests:
    - {target: storage, status: 503, count: 1}
`

// s3 is an S3 client on the stack's proxy that does not retry on its own.
func s3(st *gameday.Stack) *minio.Client {
	c := st.Credentials("storage")
	cl, err := minio.New(strings.TrimPrefix(st.URL("storage"), "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Region: "us-east-1", MaxRetries: 1})
	if err != nil {
		panic(err)
	}
	return cl
}

// upload writes a small model and returns the status the client got.
func upload(ctx context.Context, cl *minio.Client) int {
	_, err := cl.PutObject(ctx, "models", "run-1/model.bin", bytes.NewReader([]byte("weights")), 7, minio.PutObjectOptions{})
	if err != nil {
		return minio.ToErrorResponse(err).StatusCode
	}
	return 200
}

func ExampleStart() {
	ctx := context.Background()
	st, err := gameday.Start(ctx, gameday.YAML("models.yaml", models), gameday.WithBackend(gameday.Process))
	defer st.Close(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Name(), st.Seed(), st.Targets(), st.Armed())
	// Clients go through the proxy; the environment tells them where.
	fmt.Println(st.Getenv("AWS_ENDPOINT_URL") == st.URL("storage"), st.URL("storage") != st.DirectURL("storage"))
	// Output:
	// models 1 [storage] [one-503]
	// true true
}

func ExampleStack_Arm() {
	ctx := context.Background()
	st, err := gameday.Start(ctx, gameday.YAML("models.yaml", models), gameday.WithBackend(gameday.Process), gameday.WithFaultsDisarmed())
	defer st.Close(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	cl := s3(st)
	fmt.Println("before:", upload(ctx, cl))
	if err := st.Arm("one-503"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("armed:", upload(ctx, cl), upload(ctx, cl)) // times: 1
	fmt.Println(st.Arm("two-503"))
	// Output:
	// before: 200
	// armed: 503 200
	// no fault "two-503" (faults: one-503)
}

func ExampleStack_Journal() {
	ctx := context.Background()
	st, err := gameday.Start(ctx, gameday.YAML("models.yaml", models), gameday.WithBackend(gameday.Process))
	defer st.Close(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	cl := s3(st)
	upload(ctx, cl)
	upload(ctx, cl)
	journal, _ := st.Journal()
	for _, r := range journal {
		fmt.Println(r.Method, r.Path, r.Status, r.Fault)
	}
	// Output:
	// PUT /models/run-1/model.bin 503 one-503
	// PUT /models/run-1/model.bin 200
}

func ExampleStack_Judge() {
	ctx := context.Background()
	st, err := gameday.Start(ctx, gameday.YAML("models.yaml", models), gameday.WithBackend(gameday.Process))
	defer st.Close(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	cl := s3(st)
	for upload(ctx, cl) != 200 { // the client under test: here, retry until it works
	}
	res, err := st.Judge(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range res.Expectations {
		fmt.Printf("%-16s %-5v want %s, got %s\n", v.Name, v.Passed, v.Want, v.Got)
	}
	fmt.Println("passed:", res.Passed, "faults injected:", res.Metrics.FaultsInjected)
	// Output:
	// retries_after[0] true  want <=0 retries after 401/403, got 0
	// requests[0]      true  want ==1 with status 503, got 1
	// faults_fired     true  want each of 1 faults injects, got 1 of 1 injected
	// passed: true faults injected: 1
}

func ExampleStack_Artifacts() {
	ctx := context.Background()
	st, err := gameday.Start(ctx, gameday.YAML("models.yaml", models), gameday.WithBackend(gameday.Process), gameday.WithFaultsDisarmed())
	defer st.Close(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	cl := s3(st)
	upload(ctx, cl)
	upload(ctx, cl) // a retried write of the same key: a second version
	a, err := st.Artifacts(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Bucket, a.Keys, a.Versions, a.Duplicates)
	// Output:
	// models 1 2 1
}

// A snapshot made by hand from a journal judges what the journal alone
// tells, with the CLI's verdicts and messages.
func ExampleSnapshot_Check() {
	var journal []gameday.Request
	for i, status := range []int{401, 401, 401} {
		journal = append(journal, gameday.Request{Target: "storage", Method: "GET", Path: "/models/m.bin", Status: status,
			Start: t0.Add(time.Duration(i) * 100 * time.Millisecond), End: t0.Add(time.Duration(i)*100*time.Millisecond + 5*time.Millisecond)})
	}
	max0, _ := scenarios.ParseCmp("<=0")
	e := scenarios.Expect{RetriesAfter: []*scenarios.RetriesAfter{{Status: scenarios.StatusList{401}, Max: scenarios.AtMost{Cmp: max0}}}}
	v := (&gameday.Snapshot{Journal: journal}).Check(e)[0]
	fmt.Println(v.Passed)
	fmt.Println(v.Message)
	// Output:
	// false
	// retries_after[0]: want <=0 retries after 401, got 2 (worst, 2 after 401: storage GET /models/m.bin: 3 attempts (no operation header: one call or a loop) at 0ms, 100ms, 200ms)
}

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
