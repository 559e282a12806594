package pipeline

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/policies"
	"github.com/gameday/gameday/scenarios"
)

// Location is a bucket and a key prefix ("" for the whole bucket).
type Location struct {
	Bucket string
	Prefix string
}

func (l Location) String() string {
	if l.Prefix == "" {
		return l.Bucket
	}
	return l.Bucket + "/" + l.Prefix
}

// ParseLocation parses "bucket" or "bucket/prefix".
func ParseLocation(s string) (Location, error) {
	b, p, _ := strings.Cut(strings.TrimPrefix(s, "s3://"), "/")
	if b == "" {
		return Location{}, fmt.Errorf("location %q: want bucket or bucket/prefix", s)
	}
	return Location{Bucket: b, Prefix: p}, nil
}

// Config is everything one run of the reference pipeline needs.
// ConfigFromEnv fills it from the workload environment (DESIGN.md,
// "Environment of a workload").
type Config struct {
	// RunID keys the run's artifacts (<models>/<run_id>/...). Required.
	RunID string
	// Seed seeds every jitter draw. Each (run_id, attempt, dependency) draws
	// from its own stream of it (see Rand), so the same scenario seed replays
	// the same draws while scheduled runs and restarts do not repeat each
	// other's jitter, as separate nights of a real pipeline would not.
	Seed uint64
	// Attempt is GAMEDAY_ATTEMPT: 0 for a run's first start, 1.. after
	// restarts.
	Attempt int
	// Policy is the loaded policy; required.
	Policy *policies.Policy
	// PolicyFile names where Policy came from, for the log ("" = built in).
	PolicyFile string

	// S3Endpoint is the object store's URL; AccessKey and SecretKey its
	// credentials (never logged).
	S3Endpoint, AccessKey, SecretKey string
	// Features is where the inputs are read: every object under it.
	// Default bucket "features".
	Features Location
	// Models is where the artifacts go, under <prefix><run_id>/. Default
	// bucket "models".
	Models Location
	// FeatureAPIURL is the feature API's base URL; "" skips its calls.
	FeatureAPIURL string

	// ScheduledAt, RunStartedAt and SLA are the run's logical time, real
	// start and SLA, handed to AfterRun in the Outcome.
	ScheduledAt, RunStartedAt time.Time
	SLA                       time.Duration
}

// ConfigFromEnv reads a Config from getenv: GAMEDAY_RUN_ID, GAMEDAY_SEED,
// GAMEDAY_POLICY (a path; unset means policies.Default), GAMEDAY_S3_ENDPOINT
// or AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// GAMEDAY_FEATURES, GAMEDAY_MODELS, GAMEDAY_FEATURE_API_URL,
// GAMEDAY_SCHEDULED_AT, GAMEDAY_RUN_STARTED_AT and GAMEDAY_SLA. Every problem
// is reported, joined.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		RunID:         getenv("GAMEDAY_RUN_ID"),
		S3Endpoint:    getenv("GAMEDAY_S3_ENDPOINT"),
		AccessKey:     getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:     getenv("AWS_SECRET_ACCESS_KEY"),
		FeatureAPIURL: strings.TrimRight(getenv("GAMEDAY_FEATURE_API_URL"), "/"),
		Features:      Location{Bucket: "features"},
		Models:        Location{Bucket: "models"},
		PolicyFile:    getenv("GAMEDAY_POLICY"),
	}
	if c.S3Endpoint == "" {
		c.S3Endpoint = getenv("AWS_ENDPOINT_URL")
	}
	if c.RunID == "" {
		errs = append(errs, errors.New("GAMEDAY_RUN_ID is not set"))
	} else if strings.ContainsAny(c.RunID, "/\\") || c.RunID == "." || c.RunID == ".." {
		errs = append(errs, fmt.Errorf("GAMEDAY_RUN_ID %q must not contain '/'", c.RunID))
	}
	if c.S3Endpoint == "" {
		errs = append(errs, errors.New("neither GAMEDAY_S3_ENDPOINT nor AWS_ENDPOINT_URL is set"))
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		errs = append(errs, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set"))
	}
	if v := getenv("GAMEDAY_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("GAMEDAY_SEED %q: not an integer", v))
		}
		c.Seed = uint64(s)
	} else {
		c.Seed = uint64(scenarios.RandomSeed(nil))
	}
	if v := getenv("GAMEDAY_ATTEMPT"); v != "" {
		a, err := strconv.Atoi(v)
		if err != nil || a < 0 {
			errs = append(errs, fmt.Errorf("GAMEDAY_ATTEMPT %q: not a non-negative integer", v))
		}
		c.Attempt = a
	}
	for _, l := range []struct {
		env string
		dst *Location
	}{{"GAMEDAY_FEATURES", &c.Features}, {"GAMEDAY_MODELS", &c.Models}} {
		if v := getenv(l.env); v != "" {
			loc, err := ParseLocation(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", l.env, err))
				continue
			}
			*l.dst = loc
		}
	}
	for _, t := range []struct {
		env string
		dst *time.Time
	}{{"GAMEDAY_SCHEDULED_AT", &c.ScheduledAt}, {"GAMEDAY_RUN_STARTED_AT", &c.RunStartedAt}} {
		if v := getenv(t.env); v != "" {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %q: not an RFC 3339 time", t.env, v))
				continue
			}
			*t.dst = tm
		}
	}
	if v := getenv("GAMEDAY_SLA"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("GAMEDAY_SLA %q: not a duration", v))
		}
		c.SLA = d
	}
	if c.PolicyFile != "" {
		p, err := policies.Load(c.PolicyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("GAMEDAY_POLICY: %w", err))
		}
		c.Policy = p
	} else {
		p, err := policies.Default()
		if err != nil {
			errs = append(errs, fmt.Errorf("built-in policy: %w", err))
		}
		c.Policy = p
	}
	return c, errors.Join(errs...)
}

// Rand returns the seeded RNG of one dependency's retry executor: stream
// (run_id, attempt, dependency) of Seed.
func (c Config) Rand(dependency string) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d\x00%s", c.RunID, c.Attempt, dependency)
	return rand.New(rand.NewPCG(c.Seed, h.Sum64()))
}
