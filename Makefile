# cais: build, test and demo. Run as root on Debian 12.
SHELL := /bin/bash
GO ?= go
export PATH := /usr/local/go/bin:/usr/local/bin:$(PATH)
export CGO_ENABLED := 1

COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/cais-project/cais/internal/version.Commit=$(COMMIT)
# cais-runtime is linked statically: no dynamic loader on the container start
# path, and the binary runs unchanged inside the cgroup v2 VM.
STATIC := -tags "netgo osusergo" -ldflags '$(LDFLAGS) -extldflags "-static"'

BIN := $(CURDIR)/bin
TESTFLAGS ?= -count=1 -timeout 25m

.PHONY: all build deps demo test unit lint test-cgroup2 clean FORCE

all: build

build: $(BIN)/cais $(BIN)/cais-runtime $(BIN)/cais-monitor

# cais starts at least twice per `run --rm` (the CLI and the monitor's
# cleanup): no cgo (pure Go user and DNS lookups), no dynamic loader, no debug
# info, so each start maps and relocates less.
$(BIN)/cais: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -tags "netgo osusergo" -ldflags '$(LDFLAGS) -s -w' -o $@ ./cmd/cais

$(BIN)/cais-runtime: FORCE
	$(GO) build -trimpath $(STATIC) -o $@ ./cmd/cais-runtime

# One monitor runs per container: no cgo, static, stripped, to stay small.
$(BIN)/cais-monitor: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS) -s -w' -o $@ ./cmd/cais-monitor

deps:
	scripts/install-deps.sh

demo: deps build
	scripts/demo.sh

# Everything CI runs: lint, every Go test (unit and integration, as root),
# then the cgroup v2 lane in a VM.
test: lint build
	CAIS_BIN_DIR=$(BIN) scripts/gotest.sh $(TESTFLAGS) ./...
	$(MAKE) test-cgroup2

# The cgroup v2 lane: these packages' tests, built as static binaries, run in
# a qemu VM on a pure cgroup v2 hierarchy (scripts/cgroup2-vm.sh says how and
# lists its knobs). Packages without tests are left out.
# compat drives containerd, Docker and Podman, which the VM does not have.
# Engine level: the monitor's tests, and the container tests of the CLI and
# the Go API that touch cgroups and the runtime (PKG:REGEX runs only those).
CGROUP2_CLI_TESTS ?= TestAcceptanceWebServer|TestRunForeground|TestRunDetachedLifecycle|TestRunLimitsAndHostname|TestContainerLifecycle|TestRunMonitorKilled|TestRunRestartOnFailure
CGROUP2_CLIENT_TESTS ?= TestTaskLifecycle|TestTaskKillAndRerun
CGROUP2_PKGS ?= $(filter-out %/compat,$(shell $(GO) list ./internal/runtime/... ./internal/fixture | sed 's,^github.com/cais-project/cais/,./,')) \
	./internal/engine/monitor './internal/cli:$(CGROUP2_CLI_TESTS)' './client:$(CGROUP2_CLIENT_TESTS)'

test-cgroup2: $(BIN)/cais-runtime
	CAIS_BIN_DIR=$(BIN) scripts/cgroup2-vm.sh $(CGROUP2_PKGS)

lint:
	@echo "lint: gofmt"; out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@echo "lint: go vet"; $(GO) vet ./...
	@echo "lint: staticcheck"; staticcheck ./...

clean:
	rm -rf $(BIN) out
