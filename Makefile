# gameday — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO            ?= go
MINIO_VERSION ?= v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_PIN     := $(shell echo $(MINIO_VERSION) | awk -F- '{print $$NF}')
VERSION       ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
BIN           := $(CURDIR)/bin
GINKGO        := $(GO) run github.com/onsi/ginkgo/v2/ginkgo

export GAMEDAY_MINIO_BIN := $(BIN)/minio
export GAMEDAY_BIN       := $(BIN)/gameday
export TESTCONTAINERS_RYUK_DISABLED := true
export TESTCONTAINERS_HOST_OVERRIDE := 127.0.0.1

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_\/.-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/gameday (static)
	CGO_ENABLED=0 $(GO) build -ldflags "-s -w -X github.com/gameday/gameday/internal/cli.Version=$(VERSION)" -o $(BIN)/gameday ./cmd/gameday

bin/minio: ## build the pinned MinIO server binary (AGPL, run as a separate program)
	CGO_ENABLED=0 GOBIN=$(BIN) $(GO) install -ldflags "-s -w" github.com/minio/minio@$(MINIO_VERSION)

.PHONY: minio
minio: bin/minio ## build the pinned MinIO binary if missing

IMAGE_TAG     ?= dev

.PHONY: images
images: bin/minio build ## build the docker images gameday/minio:<pin> and gameday/gameday:dev (FROM scratch; gameday carries minio too, for k8s-job)
	@command -v docker >/dev/null || { echo "docker missing: run scripts/docker-setup.sh" >&2; exit 1; }
	@set -e; ctx=$$(mktemp -d $(BIN)/.images.XXXXXX); trap 'rm -rf "$$ctx"' EXIT; \
	mkdir -p $$ctx/minio/tmp $$ctx/gameday/tmp; \
	ln -fL $(BIN)/minio $$ctx/minio/minio 2>/dev/null || cp $(BIN)/minio $$ctx/minio/minio; \
	ln -fL $(BIN)/gameday $$ctx/gameday/gameday 2>/dev/null || cp $(BIN)/gameday $$ctx/gameday/gameday; \
	ln -fL $(BIN)/minio $$ctx/gameday/minio 2>/dev/null || cp $(BIN)/minio $$ctx/gameday/minio; \
	echo "docker build gameday/minio:$(MINIO_PIN)"; \
	out=$$(DOCKER_BUILDKIT=0 docker build -q -f scripts/images/minio.Dockerfile \
		--label org.opencontainers.image.version=$(MINIO_VERSION) --label gameday.image=minio \
		-t gameday/minio:$(MINIO_PIN) $$ctx/minio 2>&1) || { echo "$$out" >&2; exit 1; }; \
	echo "docker build gameday/gameday:$(IMAGE_TAG)"; \
	out=$$(DOCKER_BUILDKIT=0 docker build -q -f scripts/images/gameday.Dockerfile \
		--label org.opencontainers.image.version=$(VERSION) --label gameday.image=gameday \
		-t gameday/gameday:$(IMAGE_TAG) $$ctx/gameday 2>&1) || { echo "$$out" >&2; exit 1; }; \
	docker image prune -f --filter label=gameday.image >/dev/null # the images these tags replaced

.PHONY: vet
vet: ## go vet
	$(GO) vet ./...

.PHONY: fmt-check
fmt-check: ## fail if any file is not gofmt-ed
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: lint
lint: vet fmt-check ## vet + gofmt check

.PHONY: test
test: lint bin/minio build ## vet, gofmt check, race-enabled tests, the Go API examples in parallel processes, then the slow statistical specs alone (needs bin/minio; docker specs need a daemon)
	$(GO) test -race -count=1 -timeout 25m ./...
	$(GINKGO) -p --race ./examples/ginkgo
	GAMEDAY_SLOW=1 $(GO) test -race -count=1 -timeout 20m ./harness/e2e/

.PHONY: examples
examples: bin/minio ## the Go API example suite (examples/ginkgo) in parallel Ginkgo processes, both backends
	$(GINKGO) -p --race ./examples/ginkgo

.PHONY: bench
bench: bin/minio build ## benchmarks reporting ratios against direct baselines (the proxy's table: BenchmarkProxies), then the proxy's allocations per request
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkProxyRequest$$' -benchtime 1x -timeout 30m ./...
	$(GO) test -run '^$$' -bench '^BenchmarkProxyRequest$$' -benchmem -benchtime 20000x ./injectors

.PHONY: run
run: bin/minio build ## run the scenario library on the process backend (the quick start)
	$(BIN)/gameday run --backend process scenarios/library

.PHONY: docs
docs: ## regenerate the CLI reference in docs/cli from the cobra commands (a test fails when it is stale)
	$(GO) run ./internal/cli/gendocs docs/cli

.PHONY: man
man: ## write man pages (gameday.1, gameday-run.1, ...) to bin/man from the same generator
	$(GO) run ./internal/cli/gendocs $(BIN)/.docs-md $(BIN)/man
	@rm -rf $(BIN)/.docs-md; echo "man pages in $(BIN)/man (man -l $(BIN)/man/gameday.1)"

FUZZTIME      ?= 60s

.PHONY: fuzz
fuzz: ## fuzz the scenario loader, the policy loader and the proxy's request path, FUZZTIME (60s) each
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./policies
	$(GO) test -run '^$$' -fuzz '^FuzzProxyRequest$$' -fuzztime $(FUZZTIME) ./injectors
