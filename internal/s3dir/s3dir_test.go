package s3dir_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gameday/gameday/internal/s3dir"
	"github.com/gameday/gameday/internal/testenv"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseURL(t *testing.T) {
	for in, want := range map[string]s3dir.Location{
		"s3://b":              {Bucket: "b"},
		"s3://b/":             {Bucket: "b"},
		"s3://b/run/42/":      {Bucket: "b", Prefix: "run/42"},
		"s3://ci-out/nightly": {Bucket: "ci-out", Prefix: "nightly"},
	} {
		got, err := s3dir.ParseURL(in)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"b/x", "s3://", "s3:///x", "s3://b/../x", "https://b/x"} {
		if _, err := s3dir.ParseURL(in); err == nil {
			t.Errorf("ParseURL(%q) accepted", in)
		}
	}
	if got := (s3dir.Location{Bucket: "b", Prefix: "p"}).Join("shard-1-of-3"); got.String() != "s3://b/p/shard-1-of-3" {
		t.Errorf("Join = %s", got)
	}
}

func TestConfigFromEnv(t *testing.T) {
	cfg, err := s3dir.ConfigFromEnv(env(map[string]string{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "eu-west-1",
	}))
	if err != nil || cfg.Endpoint != "127.0.0.1:9000" || cfg.Secure || cfg.Region != "eu-west-1" {
		t.Fatalf("ConfigFromEnv = %+v, %v", cfg, err)
	}
	cfg, err = s3dir.ConfigFromEnv(env(map[string]string{
		"AWS_ENDPOINT_URL": "http://x:1", "AWS_ENDPOINT_URL_S3": "https://s3.example:8443", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s",
	}))
	if err != nil || cfg.Endpoint != "s3.example:8443" || !cfg.Secure {
		t.Fatalf("AWS_ENDPOINT_URL_S3 first: %+v, %v", cfg, err)
	}
	cfg, err = s3dir.ConfigFromEnv(env(map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"}))
	if err != nil || cfg.Endpoint != "s3.amazonaws.com" || !cfg.Secure {
		t.Fatalf("default endpoint: %+v, %v", cfg, err)
	}
	if _, err := s3dir.ConfigFromEnv(env(map[string]string{"AWS_ACCESS_KEY_ID": "a"})); err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("missing secret: %v", err)
	}
	if _, err := s3dir.ConfigFromEnv(env(map[string]string{"AWS_ENDPOINT_URL": "127.0.0.1:9000", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"})); err == nil {
		t.Fatal("an endpoint without scheme was accepted")
	}
}

// TestUploadDownloadRoundTrip copies a folder to a real MinIO and back.
func TestUploadDownloadRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := testenv.StartMinIO(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	cfg, err := s3dir.ConfigFromEnv(env(map[string]string{
		"AWS_ENDPOINT_URL": m.URL(), "AWS_ACCESS_KEY_ID": m.AccessKey, "AWS_SECRET_ACCESS_KEY": m.SecretKey, "AWS_REGION": "us-east-1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := s3dir.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.MakeBucket(ctx, "results", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	files := map[string]string{
		"report.json":                   `{"format_version":1}`,
		"a/journal.jsonl":               "{}\n",
		"a/seed-3/workload-1-0.log":     "hello",
		"b c/with space/file name.txt":  "x",
		"shard-1-of-2/report.json":      "{}",
		"shard-1-of-2/s/deep/er/f.json": "[]",
	}
	for rel, content := range files {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loc := s3dir.Location{Bucket: "results", Prefix: "nightly/42"}
	n, err := s3dir.Upload(ctx, cl, src, loc)
	if err != nil || n != len(files) {
		t.Fatalf("Upload = %d, %v; want %d files", n, err, len(files))
	}
	st, err := cl.StatObject(ctx, "results", "nightly/42/report.json", minio.StatObjectOptions{})
	if err != nil || st.ContentType != "application/json" {
		t.Fatalf("report.json: %v, content type %q", err, st.ContentType)
	}
	dst := t.TempDir()
	n, err = s3dir.Download(ctx, cl, loc, dst)
	if err != nil || n != len(files) {
		t.Fatalf("Download = %d, %v; want %d files", n, err, len(files))
	}
	for rel, content := range files {
		got, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil || string(got) != content {
			t.Errorf("%s: %q, %v; want %q", rel, got, err, content)
		}
	}
	// A sibling prefix that merely starts alike is not below loc.
	if _, err := cl.PutObject(ctx, "results", "nightly/420/x", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	n, err = s3dir.Download(ctx, cl, loc, t.TempDir())
	if err != nil || n != len(files) {
		t.Fatalf("Download next to nightly/420 = %d, %v", n, err)
	}
}
