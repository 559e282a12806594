package harness

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/scenarios"
)

// WorkloadEnv is what the harness tells a workload through its environment
// (DESIGN "Environment of a workload").
type WorkloadEnv struct {
	Scenario string
	Seed     int64
	RunID    string
	Attempt  int
	// ScheduledAt is the run's logical time (whole seconds); RunStartedAt
	// the real time its first attempt started (with fractional seconds, so
	// that lateness is not off by up to a second).
	ScheduledAt  time.Time
	RunStartedAt time.Time
	// SLA is set as GAMEDAY_SLA when positive.
	SLA      time.Duration
	StateDir string
	// Policy is the absolute path of the workload's policy file, if any.
	Policy string
	// S3Endpoint is the URL of the proxy of the first minio target, and
	// S3Credentials that target's credentials.
	S3Endpoint    string
	S3Credentials lifecycle.Credentials
	// TargetURLs maps each target name to the URL of its proxy.
	TargetURLs map[string]string
	// AlertURL and PagerDutyURL are the receiver's endpoints.
	AlertURL     string
	PagerDutyURL string
	// Extra is workload.env; harness variables win over it.
	Extra map[string]string
}

// stripped reports whether a variable never reaches a workload (the
// contract is scenarios.WorkloadEnvironment).
func stripped(name string) bool { return scenarios.RemovedFromWorkloads(name) }

// TargetEnvName is the variable carrying a target's proxy URL:
// GAMEDAY_<NAME>_URL, the name upper-cased with `-` turned into `_`.
func TargetEnvName(target string) string { return scenarios.EnvVarFor(target) }

// Environ builds a workload's environment from the parent's (in os.Environ
// form, usually os.Environ()) and w: PATH, HOME, LANG and TMPDIR of the
// parent, then w.Extra, then the harness's variables. Proxy and AWS profile
// variables are removed in any case. The result is sorted by name.
func Environ(parent []string, w WorkloadEnv) []string {
	env := map[string]string{}
	for _, kv := range parent {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if slices.Contains(scenarios.EnvNames(scenarios.EnvKept), k) {
			env[k] = v
		}
	}
	for k, v := range w.Extra {
		env[k] = v
	}
	set := func(k, v string) { env[k] = v }
	set("GAMEDAY_SCENARIO", w.Scenario)
	set("GAMEDAY_SEED", strconv.FormatInt(w.Seed, 10))
	set("GAMEDAY_RUN_ID", w.RunID)
	set("GAMEDAY_ATTEMPT", strconv.Itoa(w.Attempt))
	if !w.ScheduledAt.IsZero() {
		set("GAMEDAY_SCHEDULED_AT", w.ScheduledAt.UTC().Format(time.RFC3339))
	}
	if !w.RunStartedAt.IsZero() {
		set("GAMEDAY_RUN_STARTED_AT", w.RunStartedAt.UTC().Format(time.RFC3339Nano))
	}
	if w.SLA > 0 {
		set("GAMEDAY_SLA", w.SLA.String())
	}
	if w.StateDir != "" {
		set("GAMEDAY_STATE_DIR", w.StateDir)
	}
	if w.Policy != "" {
		set("GAMEDAY_POLICY", w.Policy)
	}
	if w.S3Endpoint != "" {
		set("AWS_ENDPOINT_URL", w.S3Endpoint)
		set("GAMEDAY_S3_ENDPOINT", w.S3Endpoint)
		set("AWS_ACCESS_KEY_ID", w.S3Credentials.AccessKey)
		set("AWS_SECRET_ACCESS_KEY", w.S3Credentials.SecretKey)
	}
	set("AWS_REGION", "us-east-1")
	set("AWS_EC2_METADATA_DISABLED", "true")
	set("NO_PROXY", "127.0.0.1,localhost")
	for name, url := range w.TargetURLs {
		set(TargetEnvName(name), url)
	}
	if w.AlertURL != "" {
		set("GAMEDAY_ALERT_URL", w.AlertURL)
	}
	if w.PagerDutyURL != "" {
		set("GAMEDAY_PAGERDUTY_URL", w.PagerDutyURL)
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		if stripped(k) {
			continue
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// WriteEnvFile writes env (KEY=VALUE lines, values single-quoted for
// shells: `set -a; . FILE`) to path with mode 0600.
func WriteEnvFile(path string, env []string) error {
	var b strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "%s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write env file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write env file: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("write env file: %w", err)
	}
	return f.Close()
}
