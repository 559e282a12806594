package scenarios_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/scenarios"
)

// roundTrip writes sc to a file in another folder and loads it back.
func roundTrip(sc *scenarios.Scenario) (*scenarios.Scenario, []byte) {
	text, err := sc.MarshalYAML()
	Expect(err).NotTo(HaveOccurred())
	file := filepath.Join(GinkgoT().TempDir(), "written.yaml")
	Expect(os.WriteFile(file, text, 0o644)).To(Succeed())
	back, err := scenarios.LoadFile(file)
	Expect(err).NotTo(HaveOccurred(), "%s", text)
	return back, text
}

// sameScenario compares two scenarios field by field, leaving out where
// their files are.
func sameScenario(got, want *scenarios.Scenario) {
	g, w := *got, *want
	// An exec argument naming a file beside the scenario is written
	// absolute, so that it runs from the written file's folder too.
	w.Workload.Exec = slices.Clone(w.Workload.Exec)
	for i, a := range w.Workload.Exec {
		if abs := filepath.Join(filepath.Dir(want.File), a); a != "" && !filepath.IsAbs(a) && fileExists(abs) {
			w.Workload.Exec[i] = abs
		}
	}
	g.File, w.File = "", ""
	gv, wv := reflect.ValueOf(&g).Elem(), reflect.ValueOf(&w).Elem()
	for i := range gv.NumField() {
		if !gv.Type().Field(i).IsExported() {
			continue
		}
		Expect(gv.Field(i).Interface()).To(Equal(wv.Field(i).Interface()), gv.Type().Field(i).Name)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var _ = Describe("MarshalYAML", func() {
	files := append(append(fixtures("good"), fixtures("../library")...), fixtures("../negative")...)
	for _, file := range files {
		It("writes "+file+" so that it loads back, from another folder, as the same scenario", func() {
			sc, err := scenarios.LoadFile(file)
			Expect(err).NotTo(HaveOccurred())
			back, text := roundTrip(sc)
			sameScenario(back, sc)
			Expect(back.ExpectOrder()).To(Equal(sc.ExpectOrder()), "%s", text)
			again, err := back.MarshalYAML()
			Expect(err).NotTo(HaveOccurred())
			Expect(string(again)).To(Equal(string(text)), "writing is stable")
		})
	}
})

var _ = Describe("MarshalYAML on values that need care", func() {
	It("keeps strings that look like other things, free-form json, every action and comparisons", func() {
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "tricky.yaml")
		Expect(os.WriteFile(file, []byte(`
name: tricky
description: "yes"
tags: ["on", "null", "123", "a: b", "# not a comment", "multi\nline", "tab\there", "ünïcode", "'quoted'", "x,y", "[z]"]
targets:
  storage:
    kind: minio
    buckets: [features]
    objects:
      - {bucket: features, key: "we ird/k:ey #1", content: ""}
  api:
    kind: stub
    routes:
      - method: [get, POST]
        path: /v1/{id}/*
        status: 202
        json: {f: 3.0, i: -4, big: 18446744073709551615, s: "007", b: false, n: null, l: [1, "two", {three: 3.5}], e: {}, "key with space": []}
        headers: {Content-Type: text/plain, X-Empty: ""}
      - {path: /raw, body: "line1\nline2"}
workload:
  exec: [/bin/true, --flag, "value with spaces"]
  env: {A: "1", B: "true", C: ""}
  runs: 3
  every: 90m
  sla: 1500ms
faults:
  - {name: s, target: storage, action: {status: 503, s3_code: SlowDown, body: "<x/>", headers: {Retry-After: "7"}, retry_after: 2s}, match: {method: [GET, HEAD], path: "*", headers: {X-A: "b c"}, query: {versionId: "1"}}, every: 2, until: 3s, optional: false}
  - {name: d, target: api, action: {status: 429, retry_after: "Wed, 21 Oct 2015 07:28:00 GMT"}, probability: 0.25, optional: true}
  - {name: t, target: storage, action: {truncate: 1KiB}, on: response}
  - {name: th, target: storage, action: {throttle: 1000}}
  - {name: h, target: api, action: {hang: true}, after: 1s}
  - {name: r, target: api, action: {reset: true}, skip: 1, optional: true}
  - {name: p, target: api, action: {pause: 250ms}, after: 2s}
  - {name: c, target: storage, action: {crash: {restart_after: 0s}}}
  - {name: w, target: workload, action: {crash: {}}}
expect:
  duration: ">1s"
  requests:
    - {status: 0, count: ">=1"}
    - {target: api, status: 429, count: "<3"}
  retries_after:
    - {status: 401, max: "==0"}
    - {target: api, status: [500, 503], max: 2}
  attempts_per_operation: {target: storage, max: ">=2"}
  retry_after_honored: {target: api, honored: false}
  backoff: {target: storage, jitter: false}
  alerts: {page: 0, warning: ">=0"}
  pages: "<2"
  recovery_time: 0
  outcome: failure
`), 0o644)).To(Succeed())
		sc, err := scenarios.LoadFile(file)
		Expect(err).NotTo(HaveOccurred())
		back, text := roundTrip(sc)
		sameScenario(back, sc)
		Expect(back.ExpectOrder()).To(Equal(sc.ExpectOrder()))
		Expect(string(text)).To(ContainSubstring("description: \"yes\"\n"))
		Expect(string(text)).To(ContainSubstring(`max: "==0"`))
		Expect(string(text)).To(ContainSubstring(`{status: 401, max: "==0"}`))
		Expect(string(text)).To(ContainSubstring("action: {crash: {}}"))
		Expect(string(text)).To(ContainSubstring("f: 3.0"))
		Expect(string(text)).To(ContainSubstring("every: 1h30m\n"))
	})

	It("makes a relative exec program and arguments naming files beside the scenario absolute", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "client.sh"), []byte("#!/bin/sh\n"), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "train.py"), nil, 0o644)).To(Succeed())
		file := filepath.Join(dir, "s.yaml")
		Expect(os.WriteFile(file, []byte(`
name: s
targets: {storage: {kind: minio}}
workload: {exec: [./client.sh, train.py, --x, missing.py]}
`), 0o644)).To(Succeed())
		sc, err := scenarios.LoadFile(file)
		Expect(err).NotTo(HaveOccurred())
		back, _ := roundTrip(sc)
		Expect(back.Workload.Exec).To(Equal([]string{filepath.Join(dir, "client.sh"), filepath.Join(dir, "train.py"), "--x", "missing.py"}))
	})
})
