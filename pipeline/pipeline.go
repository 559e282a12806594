// Package pipeline is the reference pipeline step that gameday runs as a
// workload (`gameday pipeline`), built on the policies stack: read every
// feature object, call the feature API (GET /v1/schema, POST /v1/runs), train
// a deterministic model over the bytes read, and write model.bin and the
// commit marker idempotently under <run_id>/. Every request goes through the
// policy's retry executor; each logical operation carries one
// X-Gameday-Operation id across its attempts.
//
// Call retry.DisableClientBackoff once at process start, before Run (and
// before any other minio-go use), or minio-go adds a jittered 0–200 ms
// sleep of its own after every retryable storage answer and the gaps on
// the wire are not the policy's delays.
//
//	retry.DisableClientBackoff()
//	cfg, err := pipeline.ConfigFromEnv(os.Getenv)
//	out := pipeline.Run(ctx, cfg, pipeline.Options{Log: os.Stderr})
//	if !out.Success { os.Exit(1) }
package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/policies/classify"
	"github.com/gameday/gameday/policies/idempotency"
	"github.com/gameday/gameday/policies/retry"
)

// Names the pipeline reports itself by.
const (
	Name = "reference"
	Step = "train"
	// ModelName is the model artifact's name under <run_id>/.
	ModelName = "model.bin"
)

// Outcome is what one run of the step reports, to AfterRun and to the
// caller.
type Outcome struct {
	Pipeline string
	Step     string
	RunID    string
	// Success is true when the run committed, or found its commit marker.
	Success bool
	// Skipped is true when the commit marker was already there.
	Skipped bool
	// ErrorClass is transient, throttled, permanent or unknown; "" on
	// success.
	ErrorClass policies.Class
	// Error is the failing operation's error text.
	Error string
	// FailedOperation names the operation that failed.
	FailedOperation string
	// Attempts is the attempts the failing operation took on the wire.
	Attempts int
	// LastLogLines are the run's last log lines (at most 20), before the
	// final result line. They hold no credentials.
	LastLogLines []string
	// Inputs is the number of feature objects read; ModelKey the model's key.
	Inputs   int
	ModelKey string
	// ScheduledAt, RunStartedAt and SLA come from the Config; EndedAt is
	// when the work ended.
	ScheduledAt, RunStartedAt, EndedAt time.Time
	SLA                                time.Duration
}

// Options are the run's collaborators; every field has a default.
type Options struct {
	// Log receives the structured log, one line per event (logfmt). Nil
	// discards it.
	Log io.Writer
	// AfterRun, when set, is called once at the end of every run with its
	// outcome, before the final result line is logged. Alerting plugs in
	// here; it must not change the outcome.
	AfterRun func(ctx context.Context, o Outcome)
	// Now reads the clock. Nil means time.Now.
	Now func() time.Time
}

// Run runs the step once and returns its outcome; it never panics on bad
// answers. The process should have called retry.DisableClientBackoff (see
// the package doc). The last log line is `result=success` or
// `result=failure class=<class> err="..."`.
func Run(ctx context.Context, cfg Config, opts Options) Outcome {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	tail := &tailWriter{w: opts.Log, max: 20}
	log := slog.New(slog.NewTextHandler(tail, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(time.RFC3339Nano))
			}
			return a
		},
	}))
	o := Outcome{
		Pipeline: Name, Step: Step, RunID: cfg.RunID,
		ScheduledAt: cfg.ScheduledAt, RunStartedAt: cfg.RunStartedAt, SLA: cfg.SLA,
	}
	policyFile := cfg.PolicyFile
	if policyFile == "" {
		policyFile = "built-in default"
	}
	log.Info("start", "pipeline", Name, "run_id", cfg.RunID, "seed", cfg.Seed, "policy", policyFile,
		"features", cfg.Features.String(), "models", cfg.Models.String(), "feature_api", cfg.FeatureAPIURL != "")

	r, err := newRunner(cfg, log)
	if err == nil {
		err = r.run(ctx, &o)
	}
	o.EndedAt = now()
	var lines []string
	if err != nil {
		o.Success = false
		o.Error = err.Error()
		o.ErrorClass = policies.ClassUnknown
		var re *retry.Error
		if errors.As(err, &re) {
			o.ErrorClass, o.Attempts, o.FailedOperation = re.Class, re.Attempts, re.Op
		}
	} else {
		o.Success = true
	}
	lines = tail.lines()
	o.LastLogLines = lines
	if opts.AfterRun != nil {
		opts.AfterRun(ctx, o)
	}
	if o.Success {
		log.Info("end", "result", "success", "run_id", cfg.RunID, "skipped", o.Skipped, "inputs", o.Inputs)
	} else {
		log.Error("end", "result", "failure", "class", string(o.ErrorClass), "err", o.Error,
			"op", o.FailedOperation, "attempts", o.Attempts, "run_id", cfg.RunID)
	}
	return o
}

// runner holds one run's clients.
type runner struct {
	cfg   Config
	log   *slog.Logger
	ex    *retry.Executor // storage
	apiEx *retry.Executor // feature API
	s3    *minio.Client
	http  *http.Client
	store *idempotency.Store
}

func newRunner(cfg Config, log *slog.Logger) (*runner, error) {
	if cfg.Policy == nil {
		return nil, errors.New("no policy")
	}
	s3, err := retry.NewS3Client(cfg.S3Endpoint, cfg.AccessKey, cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	// One executor (and so one circuit breaker) per dependency, each with
	// its own stream of the seeded RNG.
	ex := retry.New(cfg.Policy, retry.Config{Logger: log, Dependency: "storage",
		Rand: cfg.Rand("storage")})
	apiEx := retry.New(cfg.Policy, retry.Config{Logger: log, Dependency: "feature-api",
		Rand: cfg.Rand("feature-api")})
	prefix := cfg.Models.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &runner{
		cfg:   cfg,
		log:   log,
		ex:    ex,
		apiEx: apiEx,
		s3:    s3,
		http:  &http.Client{Transport: &retry.Transport{Base: retry.NewHTTPTransport()}},
		store: &idempotency.Store{
			Client: s3, Exec: ex, Bucket: cfg.Models.Bucket, Prefix: prefix + cfg.RunID + "/",
			Marker: cfg.Policy.Idempotency.CommitMarker, Logger: log,
		},
	}, nil
}

func (r *runner) run(ctx context.Context, o *Outcome) error {
	done, err := r.store.Committed(ctx)
	if err != nil {
		return err
	}
	if done {
		o.Skipped = true
		r.log.Info("committed", "marker", r.store.Key(r.cfg.Policy.Idempotency.CommitMarker), "work", "none")
		return nil
	}

	inputs, err := r.readFeatures(ctx)
	if err != nil {
		return err
	}
	o.Inputs = len(inputs)

	var schema []byte
	if r.cfg.FeatureAPIURL != "" {
		schema, err = r.call(ctx, http.MethodGet, "/v1/schema", nil, "")
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{"run_id": r.cfg.RunID, "inputs": len(inputs)})
		if _, err := r.call(ctx, http.MethodPost, "/v1/runs", body, r.cfg.RunID+"/runs"); err != nil {
			return err
		}
	} else {
		r.log.Info("feature-api", "skipped", true, "reason", "GAMEDAY_FEATURE_API_URL not set")
	}

	model := Train(inputs, schema)
	sum := sha256.Sum256(model)
	r.log.Info("trained", "inputs", len(inputs), "model_bytes", len(model), "model_sha256", hex.EncodeToString(sum[:]))
	if _, err := r.store.Put(ctx, ModelName, model); err != nil {
		return err
	}
	o.ModelKey = r.store.Key(ModelName)
	meta, _ := json.Marshal(map[string]any{
		"run_id": r.cfg.RunID, "pipeline": Name, "step": Step,
		"model": o.ModelKey, "model_sha256": hex.EncodeToString(sum[:]), "model_bytes": len(model),
		"inputs": len(inputs),
	})
	_, err = r.store.Commit(ctx, meta)
	return err
}

// Input is one feature object.
type Input struct {
	Key  string
	Data []byte
}

func (r *runner) readFeatures(ctx context.Context) ([]Input, error) {
	loc := r.cfg.Features
	keys, err := retry.Get(ctx, r.ex, "list "+loc.String(), func(ctx context.Context) ([]string, error) {
		var keys []string
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for obj := range r.s3.ListObjects(lctx, loc.Bucket, minio.ListObjectsOptions{Prefix: loc.Prefix, Recursive: true}) {
			if obj.Err != nil {
				cancel()
				return nil, obj.Err
			}
			keys = append(keys, obj.Key)
		}
		return keys, nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(keys)
	inputs := make([]Input, 0, len(keys))
	for _, key := range keys {
		data, err := retry.Get(ctx, r.ex, "get "+loc.Bucket+"/"+key, func(ctx context.Context) ([]byte, error) {
			obj, err := r.s3.GetObject(ctx, loc.Bucket, key, minio.GetObjectOptions{})
			if err != nil {
				return nil, err
			}
			defer obj.Close()
			return io.ReadAll(obj)
		})
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, Input{Key: key, Data: data})
	}
	r.log.Info("features", "objects", len(inputs), "from", loc.String())
	return inputs, nil
}

// call makes one feature-API request under the policy and returns the
// body of its 2xx answer. idemKey, when set, is sent as Idempotency-Key.
func (r *runner) call(ctx context.Context, method, path string, body []byte, idemKey string) ([]byte, error) {
	url := r.cfg.FeatureAPIURL + path
	return retry.Get(ctx, r.apiEx, "feature-api "+method+" "+path, func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		resp, err := r.http.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 300 {
			return nil, &classify.StatusError{Method: method, URL: path, StatusCode: resp.StatusCode,
				Code: errorCode(data), RetryAfter: resp.Header.Get("Retry-After")}
		}
		return data, nil
	})
}

// errorCode digs a code out of a JSON error body ({"error":{"code":...}}
// or {"code":...}), else "".
func errorCode(body []byte) string {
	var v struct {
		Code  string `json:"code"`
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if v.Error.Code != "" {
		return v.Error.Code
	}
	return v.Code
}

// Train is the step's "training": a deterministic function of the inputs
// (in key order) and the feature schema, so a restart writes identical
// bytes. The model is "GDMODEL1", the input count, a 256-bin byte
// histogram and a SHA-256 over every key, length and byte read.
func Train(inputs []Input, schema []byte) []byte {
	var hist [256]uint64
	h := sha256.New()
	for _, in := range inputs {
		fmt.Fprintf(h, "%s\x00%d\x00", in.Key, len(in.Data))
		h.Write(in.Data)
		for _, b := range in.Data {
			hist[b]++
		}
	}
	h.Write(schema)
	var buf bytes.Buffer
	buf.WriteString("GDMODEL1")
	_ = binary.Write(&buf, binary.LittleEndian, uint64(len(inputs)))
	_ = binary.Write(&buf, binary.LittleEndian, hist[:])
	buf.Write(h.Sum(nil))
	return buf.Bytes()
}

// tailWriter passes writes on to w and keeps the last max lines.
type tailWriter struct {
	w   io.Writer
	max int

	mu   sync.Mutex
	tail []string
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		t.tail = append(t.tail, line)
	}
	if over := len(t.tail) - t.max; over > 0 {
		t.tail = slices.Clone(t.tail[over:])
	}
	t.mu.Unlock()
	if t.w == nil {
		return len(p), nil
	}
	return t.w.Write(p)
}

func (t *tailWriter) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.tail)
}
