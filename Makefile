# orderstack: the front door. `make help` lists every target.
# Each area keeps its targets in mk/<area>.mk, named for what a reader looks for;
# this file holds the two commands of the README and the shared settings.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BIN  := $(ROOT)/bin
# -trimpath keeps the checkout's path out of every compiled package, so the Go build cache is shared
# by every clone and worktree: a fresh clone compiles nothing the machine has compiled before
# (test-docs in a second fresh clone: 30 s instead of 55 s; docs/development.md).
# -gcflags=all=-dwarf=false -ldflags=-w: no DWARF debug information in what make compiles and links
# (the tests, make run): no check runs a debugger, and without it compiling the Helm and Kubernetes
# graph takes 7% less CPU and linking a platform test binary a quarter less (4.4 -> 3.4 s of CPU).
# `dlv test` outside make is unaffected. backend/scripts/build.sh (make build, the image) compiles the same way.
export GOFLAGS := -buildvcs=false -trimpath -gcflags=all=-dwarf=false -ldflags=-w
# One build configuration for every go command: without cgo, as the production image is built
# (backend/scripts/build.sh). The tests compile each package once, and the binaries they build
# (reliability, loadtest, make build; CGO_ENABLED=0 there too) reuse those compiles instead of
# compiling everything again with cgo off. No C compiler is needed; -race (RACE=1,
# store-model-heavy) sets CGO_ENABLED=1 for itself.
export CGO_ENABLED ?= 0

# go test keeps a package's result while nothing it reads changes (its sources and dependencies, the
# files it opens, the environment variables it reads), so a second `make test` re-runs only what a
# change can affect. The test-* targets pass $(GOTEST_CACHE) for such packages, and -count=1 (always
# run) for those whose tests run built binaries, other tools or a database given by URL: go test
# cannot see what those read. CI=true (every CI service sets it) re-runs every test.
GOTEST_CACHE := $(if $(filter true 1,$(CI)),-count=1)

# $(call unless_passed,NAME,PATHS,COMMAND): COMMAND, unless it passed before on the same inputs, as
# go test's result cache does for Go tests (for a tool run it cannot see): the key is COMMAND's text
# (its tool paths name their version and wrapper hash; the clone's own path left out, so every
# clone of the machine shares passes), `go version`, ONLY and GOGC, and the content of every file
# under PATHS (git-ignored ones too: a stray file re-runs, never hides a change). A pass is
# remembered in $(ORDERSTACK_CACHE)/passed/NAME-<key>; CI=true (GOTEST_CACHE) always runs.
define unless_passed
	@key=$$( { echo '$(subst ','\'',$(subst $(ROOT),<clone>,$(3)))' "ONLY=$${ONLY-} GOGC=$${GOGC-}"; go version; cd $(ROOT) && \
		find $(2) -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16) && \
	if [ -z "$(GOTEST_CACHE)" ] && [ -e $(ORDERSTACK_CACHE)/passed/$(1)-$$key ]; then \
		echo "$(1): passed before on these inputs ($(ORDERSTACK_CACHE)/passed/$(1)-$$key; CI=true runs it again)"; \
	else echo '$(subst ','\'',$(3))' && $(3) && mkdir -p $(ORDERSTACK_CACHE)/passed && touch $(ORDERSTACK_CACHE)/passed/$(1)-$$key; fi
endef

# The tools the checks run (terraform, conftest, helm-unittest, ..., built from the pinned wrapper
# modules under tools/; remark from npm) and cached results live in the user's cache folder, beside
# Go's own build cache (os.UserCacheDir: $XDG_CACHE_HOME, else ~/.cache): every clone and worktree
# of the machine shares one build per version, as `go install` would. ORDERSTACK_CACHE=<dir> moves it.
export ORDERSTACK_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(if $(HOME),$(HOME)/.cache,$(ROOT)/.cache))/orderstack
TOOL_CACHE := $(ORDERSTACK_CACHE)/bin

# $(GO_VET) PACKAGES: go vet, one go command at a time across the test-* targets that make test runs
# in parallel. Two go commands compiling the same packages at once both compile them (the build cache
# holds only finished work): with an empty build cache, test-chart's and test-docs' vets took 228 s of
# CPU each, side by side. Queued, the first compiles and the next finds it in the cache. (flock is
# util-linux's; without it, vets run side by side as before.) The go test after it runs with -vet=off:
# go test's own vet is a subset of go vet's analyzers, which would compute its facts for every
# dependency again. GOGC=400 for the compiler and vet processes (not for the tests, which go test
# runs after it): they allocate in bursts, and with an empty build cache test-chart's vet takes 10%
# less CPU (221 -> 200 s; the outputs are the same, so the build cache is too).
GO_VET := mkdir -p $(ORDERSTACK_CACHE) && GOGC=$(or $(GOGC),400) $(if $(shell command -v flock),flock $(ORDERSTACK_CACHE)/go-vet.lock )go vet

# $(call mod_version,TOOL,MODULE): MODULE's version in tools/TOOL/go.mod (the pin).
mod_version = $(shell awk '{for (i = 1; i < NF; i++) if ($$i == "$(2)" && $$(i+1) ~ /^v/) {print $$(i+1); exit}}' $(ROOT)/tools/$(1)/go.mod)
# $(call mod_hash,TOOL[,MORE FILES]): a hash of tools/TOOL's go.mod and go.sum (and MORE FILES).
mod_hash = $(shell cat $(ROOT)/tools/$(1)/go.mod $(ROOT)/tools/$(1)/go.sum $(2) | sha256sum | cut -c1-12)
# $(call tool_dir,NAME,TOOL,MODULE[,MORE FILES]): $(TOOL_CACHE)/NAME-<version>-<hash>. Named by version
# and the wrapper module's hash (and MORE FILES'), never by file times: a change of the wrapper (a
# go.sum bump) rebuilds, a fresh checkout's newer go.mod does not, and no checkout deletes a binary
# another one runs.
tool_dir = $(TOOL_CACHE)/$(1)-$(call mod_version,$(2),$(3))-$(call mod_hash,$(2),$(4))
# $(call install,DIR,COMMANDS): runs COMMANDS with $$out a new temporary folder beside DIR, and renames
# it to DIR with a .done mark when they succeed, so an interrupted build is never taken for a
# finished one, and two checkouts building the same tool at once both end with one complete copy.
define install
	@mkdir -p $(dir $(1))
	out=$$(mktemp -d $(1).tmp.XXXXXX) && trap 'rm -rf "$$out"' EXIT && chmod 755 $$out && \
		$(2) && touch $$out/.done && { mv -T $$out $(1) 2>/dev/null || test -e $(1)/.done; }
endef
# $(call go_install,DIR,TOOL,PACKAGE[,LDFLAGS[,PREFIX]]): go build PACKAGE of the wrapper module
# tools/TOOL into DIR; PREFIX goes before `go build` (an environment setting, nice).
go_install = $(call install,$(1),cd $(ROOT)/tools/$(2) && GOWORK=off CGO_ENABLED=0 $(5) go build -trimpath -ldflags "-s -w $(4)" -o $$out/ $(3))

.PHONY: help run test

help: ## list the targets, grouped by the file that defines them (its first line says what it holds)
	@awk 'BEGIN {FS = ":.*## "} FNR == 1 {sub(/^# */, ""); printf "\n\033[1m%s\033[0m  (%s)\n", $$0, FILENAME} \
		/^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## run the service on 127.0.0.1:3000 (HOST, PORT) with the embedded FerretDB/SQLite store; SEED=1 adds demo products
	@$(FERRETDB_BUILD_NOTE)
	cd backend/local && go run ./cmd/orders-local $(if $(SEED),-seed,)

# `make test` is exactly the test-<area> targets: each mk/<area>.mk adds its own with a line
# `test: test-<area>`, and only those targets are named test-* (platform/docs checks both).
# The test-* targets are independent: `make test` runs as many at once as there are cores, each
# one's output printed together when it ends (every test re-run, on 2 cores: 90 s instead of 120 s one by one).
ifeq ($(MAKECMDGOALS),test)
MAKEFLAGS += --jobs=$(shell nproc) --output-sync=target
endif

test: ## every offline check, what CI runs: test-service, test-store, test-chart, test-infra, ... (the test-* targets below)

-include mk/*.mk
