package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// EnvRule says what the harness does with a variable of a workload's
// environment.
type EnvRule string

// The rules of the workload-environment contract.
const (
	// EnvKept: taken from the parent's environment; workload.env may set it.
	EnvKept EnvRule = "kept from the parent"
	// EnvSet: set by the harness for every run; workload.env may not set it.
	EnvSet EnvRule = "set by the harness"
	// EnvRemoved: never reaches a workload, in any case; workload.env may
	// not set it.
	EnvRemoved EnvRule = "removed"
)

// EnvVar is one variable of the contract.
type EnvVar struct {
	Name    string
	Rule    EnvRule
	Meaning string
}

// TargetURLVar stands for every target's GAMEDAY_<TARGET>_URL in
// WorkloadEnvironment (see EnvVarFor).
const TargetURLVar = "GAMEDAY_<TARGET>_URL"

// WorkloadEnvironment is the one table of the workload-environment
// contract: validation (which keys workload.env and target names may
// use), the harness (what a run's environment holds) and the docs (make
// docs renders it with EnvTable) all read it.
var WorkloadEnvironment = []EnvVar{
	{"PATH", EnvKept, "the parent's"},
	{"HOME", EnvKept, "the parent's"},
	{"LANG", EnvKept, "the parent's"},
	{"TMPDIR", EnvKept, "the parent's"},
	{"GAMEDAY_SCENARIO", EnvSet, "the scenario's name"},
	{"GAMEDAY_SEED", EnvSet, "the run's seed"},
	{"GAMEDAY_RUN_ID", EnvSet, "the scheduled run's id: `workload.run_id`, else `<name>-<seed>`; with runs > 1, `-<n>` appended; restarts keep it"},
	{"GAMEDAY_ATTEMPT", EnvSet, "0 for a run's first start, 1.. after restarts"},
	{"GAMEDAY_SCHEDULED_AT", EnvSet, "RFC 3339 logical time: the scenario's start for run 1, then + every per run"},
	{"GAMEDAY_RUN_STARTED_AT", EnvSet, "RFC 3339 real time (fractional seconds) at which the run's first attempt started"},
	{"GAMEDAY_SLA", EnvSet, "the workload's sla, when it has one"},
	{"GAMEDAY_STATE_DIR", EnvSet, "a folder that lives as long as the scenario, shared by its runs and restarts"},
	{"GAMEDAY_POLICY", EnvSet, "absolute path of workload.policy, when set"},
	{"GAMEDAY_S3_ENDPOINT", EnvSet, "the proxy in front of the first minio target"},
	{"GAMEDAY_ALERT_URL", EnvSet, "where Alertmanager webhook payloads are POSTed (the alert receiver)"},
	{"GAMEDAY_PAGERDUTY_URL", EnvSet, "where PagerDuty Events v2 events are POSTed (the alert receiver)"},
	{"GAMEDAY_RUN_MARKER", EnvSet, "marks every process of the run, so gameday clean finds them after a kill -9"},
	{TargetURLVar, EnvSet, "each target's proxy (the name upper-cased, - turned into _)"},
	{"AWS_ENDPOINT_URL", EnvSet, "the proxy in front of the first minio target (some clients ignore it: pass it as --endpoint-url)"},
	{"AWS_ACCESS_KEY_ID", EnvSet, "that target's access key (random per run, never printed)"},
	{"AWS_SECRET_ACCESS_KEY", EnvSet, "that target's secret key (random per run, never printed)"},
	{"AWS_REGION", EnvSet, "us-east-1"},
	{"AWS_EC2_METADATA_DISABLED", EnvSet, "true"},
	{"NO_PROXY", EnvSet, "127.0.0.1,localhost"},
	{"AWS_PROFILE", EnvRemoved, "so no profile of yours is used"},
	{"AWS_CONFIG_FILE", EnvRemoved, ""},
	{"AWS_SHARED_CREDENTIALS_FILE", EnvRemoved, ""},
	{"AWS_SESSION_TOKEN", EnvRemoved, ""},
	{"HTTP_PROXY", EnvRemoved, "any case: traffic goes straight to 127.0.0.1"},
	{"HTTPS_PROXY", EnvRemoved, "any case"},
	{"ALL_PROXY", EnvRemoved, "any case"},
}

// EnvNames returns the names of the contract's variables under rule, in
// table order (TargetURLVar left out).
func EnvNames(rule EnvRule) []string {
	var out []string
	for _, v := range WorkloadEnvironment {
		if v.Rule == rule && v.Name != TargetURLVar {
			out = append(out, v.Name)
		}
	}
	return out
}

// SetByHarness reports whether the harness sets name for every run of s:
// a fixed variable of the contract, or a target's GAMEDAY_<TARGET>_URL.
func (s *Scenario) SetByHarness(name string) bool {
	if slices.Contains(EnvNames(EnvSet), name) {
		return true
	}
	for _, t := range s.Targets {
		if t != nil && t.EnvVar() == name {
			return true
		}
	}
	return false
}

// RemovedFromWorkloads reports whether name (in any case) never reaches a
// workload.
func RemovedFromWorkloads(name string) bool {
	for _, r := range EnvNames(EnvRemoved) {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// EnvTable renders the contract as a Markdown table, for the docs.
func EnvTable() string {
	var b strings.Builder
	b.WriteString("| variable | rule | value |\n| --- | --- | --- |\n")
	for _, v := range WorkloadEnvironment {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, v.Rule, v.Meaning)
	}
	return b.String()
}
