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
export GOFLAGS := -buildvcs=false -trimpath

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
# one's output printed together when it ends (warm, on 2 cores: 178 s instead of 285 s one by one).
ifeq ($(MAKECMDGOALS),test)
MAKEFLAGS += --jobs=$(shell nproc) --output-sync=target
endif

test: ## every offline check, what CI runs: test-service, test-store, test-chart, test-infra, ... (the test-* targets below)

-include mk/*.mk
