package pipeline

import "testing"

// TestConfigRandStreams checks that jitter replays for the same seed, run and
// attempt, and differs between scheduled runs, restarts and dependencies, so
// that nightly runs of one scenario do not retry in lockstep.
func TestConfigRandStreams(t *testing.T) {
	draws := func(c Config, dep string) [4]uint64 {
		r := c.Rand(dep)
		return [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	base := Config{Seed: 42, RunID: "nightly-1", Attempt: 0}
	if draws(base, "storage") != draws(base, "storage") {
		t.Fatal("the same seed, run and attempt must replay the same draws")
	}
	for name, other := range map[string]Config{
		"another run":  {Seed: 42, RunID: "nightly-2"},
		"a restart":    {Seed: 42, RunID: "nightly-1", Attempt: 1},
		"another seed": {Seed: 43, RunID: "nightly-1"},
	} {
		if draws(base, "storage") == draws(other, "storage") {
			t.Errorf("%s drew the same jitter as nightly-1 attempt 0", name)
		}
	}
	if draws(base, "storage") == draws(base, "feature-api") {
		t.Error("storage and feature-api share one stream")
	}
}

func TestConfigFromEnvAttempt(t *testing.T) {
	env := map[string]string{
		"GAMEDAY_RUN_ID": "r", "GAMEDAY_S3_ENDPOINT": "http://127.0.0.1:1",
		"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "GAMEDAY_ATTEMPT": "2",
	}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Attempt != 2 {
		t.Fatalf("attempt = %d, err = %v; want 2, nil", c.Attempt, err)
	}
	env["GAMEDAY_ATTEMPT"] = "x"
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("GAMEDAY_ATTEMPT=x was accepted")
	}
}
