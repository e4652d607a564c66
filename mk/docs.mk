# Documentation: the generated parts of docs/ (see docs/README.md).
# d2render is built from tools/d2 (pinned D2, pure Go, no browser) with
# GOWORK=off, once per change of its sources, into the git-ignored .cache/bin.

D2RENDER := $(ROOT)/.cache/bin/d2render

.PHONY: docs test-docs diagrams-check

test: test-docs

docs: $(D2RENDER) tf-docs ## regenerate the module READMEs and docs/resources.md (terraform-docs, see mk/infra.mk) and docs/diagrams/*.svg (from *.d2)
	$(D2RENDER) $(ROOT)/docs/diagrams

test-docs: ## documentation checks: links, anchors, runbook URLs, make targets, generated files, `make test` = the test-* targets
	cd $(ROOT)/platform && go vet ./docs/... ./cmd/... ./internal/repo/... && go test -count=1 ./docs/... ./cmd/... ./internal/repo/...

diagrams-check: ## tools/d2's own tests: a full re-render of docs/diagrams with the pinned D2
	cd $(ROOT)/tools/d2 && GOWORK=off go test -count=1 ./...

$(D2RENDER): $(ROOT)/tools/d2/go.mod $(ROOT)/tools/d2/go.sum $(ROOT)/tools/d2/main.go
	mkdir -p $(dir $@)
	cd $(ROOT)/tools/d2 && GOWORK=off go build -o $@ .
