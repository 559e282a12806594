package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gameday/gameday/internal/cli"
)

const library = "../../scenarios/library"

func TestValidateLibrary(t *testing.T) {
	code, out, errOut := runCLI(t, "validate", library)
	if code != cli.ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(library, "*.yaml"))
	if len(files) < 9 {
		t.Fatalf("library has %d scenarios, want >= 9", len(files))
	}
	for _, f := range files {
		if !strings.Contains(out, "ok "+f+"\n") {
			t.Errorf("no ok line for %s in:\n%s", f, out)
		}
	}
}

// The acceptance inputs: each exits 2 with one line per problem naming the
// file, with file:line:col for problems inside it.
func TestValidateRejectsAcceptanceInputs(t *testing.T) {
	posLine := func(file string) *regexp.Regexp {
		return regexp.MustCompile(`^` + regexp.QuoteMeta(file) + `:\d+:\d+: `)
	}
	for _, tc := range []struct {
		name    string
		path    string
		want    []string // exact lines, for problems without a position
		inside  bool     // problems lie inside the file: every line is file:line:col
		problem string   // a substring of the output
	}{
		{name: "misspelt key", path: "misspelt-key.yaml", inside: true, problem: `unknown key "probabilty" (did you mean "probability"?)`},
		{name: "probability 1.5", path: "probability-out-of-range.yaml", inside: true, problem: "must be between 0 and 1, got 1.5"},
		{name: "5 parsecs", path: "delay-parsecs.yaml", inside: true, problem: `invalid duration "5 parsecs"`},
		{name: "undefined target", path: "undefined-fault-target.yaml", inside: true, problem: `unknown target "store"`},
		{name: "two actions", path: "two-actions.yaml", inside: true, problem: "has 2 actions (status, delay)"},
		{name: "tabs", path: "tab-indented.yaml", inside: true, problem: "tab character in indentation"},
		{name: "empty file", path: "empty.yaml", want: []string{"../../scenarios/testdata/bad/empty.yaml: empty file"}},
		{name: "no scenarios", path: "../no-scenarios", want: []string{"../../scenarios/testdata/no-scenarios: no scenarios in ../../scenarios/testdata/no-scenarios"}},
		{name: "missing file", path: "missing.yaml", want: []string{"../../scenarios/testdata/bad/missing.yaml: no such file or directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("../../scenarios/testdata/bad", tc.path)
			code, out, errOut := runCLI(t, "validate", path)
			if code != cli.ExitBadInput {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, out, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if tc.want != nil {
				if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("stderr:\n%s\nwant:\n%s", errOut, strings.Join(tc.want, "\n"))
				}
				return
			}
			for _, l := range lines {
				if !posLine(path).MatchString(l) {
					t.Errorf("line %q is not %s:LINE:COL: ...", l, path)
				}
			}
			if !strings.Contains(errOut, tc.problem) {
				t.Errorf("stderr lacks %q:\n%s", tc.problem, errOut)
			}
			// Exactly the problems of the fixture's golden file, one per line.
			golden, err := os.ReadFile(strings.TrimSuffix(path, ".yaml") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(string(golden), "testdata/bad/", "../../scenarios/testdata/bad/")
			if errOut != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
			}
		})
	}
}

func TestValidateMixesGoodAndBad(t *testing.T) {
	good := filepath.Join(library, "storage-503-single-transient.yaml")
	bad := "../../scenarios/testdata/bad/two-actions.yaml"
	code, out, errOut := runCLI(t, "validate", good, bad, "nowhere")
	if code != cli.ExitBadInput {
		t.Fatalf("exit %d, want 2", code)
	}
	if out != "ok "+good+"\n" {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(errOut, "nowhere: no such file or directory\n") || !strings.Contains(errOut, bad+":15:13: ") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestValidateLoadsThePolicy(t *testing.T) {
	dir := t.TempDir()
	scenario := `name: p
targets: {storage: {kind: minio, buckets: [models]}}
workload: {pipeline: reference, policy: bad-policy.yaml}
`
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad-policy.yaml"), []byte("retry:\n  max_atempts: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "validate", filepath.Join(dir, "s.yaml"))
	if code != cli.ExitBadInput || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !regexp.MustCompile(`bad-policy\.yaml:2:3: .*max_atempts`).MatchString(errOut) {
		t.Errorf("stderr does not point into the policy:\n%s", errOut)
	}
}

func TestListLibrary(t *testing.T) {
	code, out, errOut := runCLI(t, "list", library)
	if code != cli.ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 10 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("want a header and >= 9 rows:\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^storage-503-single-transient\s+storage,transient,ci\s+storage\(minio\),feature-api\(stub\)\s+1\s+One 503 on a feature read`)
	if !row.MatchString(out) {
		t.Errorf("no row for storage-503-single-transient:\n%s", out)
	}
}

func TestListReportsBadFiles(t *testing.T) {
	code, out, errOut := runCLI(t, "list", "../../scenarios/testdata/bad/empty.yaml")
	if code != cli.ExitBadInput || out != "" || errOut != "../../scenarios/testdata/bad/empty.yaml: empty file\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestSchemaPrintsTheCommittedSchemas(t *testing.T) {
	for kind, file := range map[string]string{
		"scenario": "../../scenarios/scenario.schema.json",
		"policy":   "../../policies/policy.schema.json",
	} {
		code, out, errOut := runCLI(t, "schema", kind)
		if code != cli.ExitOK || errOut != "" {
			t.Fatalf("schema %s: exit %d, stderr %q", kind, code, errOut)
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("schema %s differs from %s", kind, file)
		}
	}
	if code, _, _ := runCLI(t, "schema", "pipeline"); code != cli.ExitBadInput {
		t.Errorf("schema pipeline: exit %d, want 2", code)
	}
}

// validate applies run's step 1: what run rejects with exit 2 before
// starting anything, validate rejects too, pointing into the file.
func TestValidateAppliesRunsChecks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noProg := write("no-prog.yaml", "name: no-prog\ntargets: {api: {kind: stub}}\nworkload:\n  exec: [\"/nonexistent/prog\", \"-v\"]\n")
	notExec := write("not-exec.yaml", "name: not-exec\ntargets: {api: {kind: stub}}\nworkload: {exec: [./data.txt]}\n")
	write("data.txt", "not a program\n")
	notOnPath := write("not-on-path.yaml", "name: not-on-path\ntargets: {api: {kind: stub}}\nworkload: {exec: [gameday-no-such-program]}\n")
	first := write("first.yaml", "name: twin\ntargets: {api: {kind: stub}}\nworkload: {pipeline: reference}\n")
	second := write("second.yaml", "# the same name as first.yaml\nname: twin\ntargets: {api: {kind: stub}}\nworkload: {pipeline: reference}\n")
	good := filepath.Join(library, "storage-503-single-transient.yaml")

	for _, tc := range []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"missing exec program", []string{noProg}, "",
			noProg + `:4:3: workload.exec: program "/nonexistent/prog": no such file (looked for /nonexistent/prog)` + "\n"},
		{"exec not executable", []string{notExec}, "",
			notExec + `:3:12: workload.exec: program "./data.txt" is not executable` + "\n"},
		{"exec not on PATH", []string{notOnPath}, "",
			notOnPath + `:3:12: workload.exec: program "gameday-no-such-program" not found on PATH` + "\n"},
		{"one file twice", []string{good, good}, "ok " + good + "\n",
			good + `:5:7: name: scenario name "storage-503-single-transient" is also used by ` + good + "\n"},
		{"two files, one name", []string{first, second}, "ok " + first + "\n",
			second + `:2:7: name: scenario name "twin" is also used by ` + first + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"validate"}, tc.args...)...)
			if code != cli.ExitBadInput {
				t.Errorf("validate: exit %d, want 2; stderr %q", code, errOut)
			}
			if out != tc.wantOut {
				t.Errorf("stdout %q, want %q", out, tc.wantOut)
			}
			if errOut != tc.wantErr {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, tc.wantErr)
			}
			// run rejects it the same way, before anything starts.
			outDir := filepath.Join(t.TempDir(), "out")
			code, _, runErr := runCLI(t, append([]string{"run", "--out", outDir}, tc.args...)...)
			if code != cli.ExitBadInput || !strings.Contains(runErr, strings.TrimSuffix(tc.wantErr, "\n")) {
				t.Errorf("run: exit %d, stderr %q; want exit 2 with %q", code, runErr, tc.wantErr)
			}
		})
	}
}
