# Documentation: the generated parts of docs/ (see docs/README.md).
# d2render is built from tools/d2 (pinned D2, pure Go, no browser) with
# GOWORK=off, once per change of its sources, into the git-ignored .cache/bin.

D2RENDER := $(ROOT)/.cache/bin/d2render

# remark-cli + remark-validate-links (links and #anchors of every Markdown file, GitHub's heading
# slugs), exact versions from tools/remark/package-lock.json, installed with `npm ci` once per
# change of the lock into .cache/node/remark-<hash>/ (a temporary folder renamed when complete).
# repository:false: links are checked inside the work tree only (no git remote, no network).
REMARK_DIR := $(ROOT)/.cache/node/remark-$(shell cat $(ROOT)/tools/remark/package.json $(ROOT)/tools/remark/package-lock.json | sha256sum | cut -c1-12)
REMARK := $(REMARK_DIR)/node_modules/.bin/remark --use $(REMARK_DIR)/node_modules/remark-validate-links/index.js=repository:false --frail --quiet --no-stdout

.PHONY: docs test-docs diagrams-check

test: test-docs

docs: $(D2RENDER) tf-docs ## regenerate the module READMEs and docs/resources.md (terraform-docs, see mk/infra.mk) and docs/diagrams/*.svg (from *.d2)
	$(D2RENDER) $(ROOT)/docs/diagrams

test-docs: $(REMARK_DIR)/.done ## documentation checks: links and anchors (remark-validate-links), runbook URLs, make targets, diagrams, index, `make test` = the test-* targets
	cd $(ROOT) && $(REMARK) .
	cd $(ROOT)/platform && go vet ./docs/... ./cmd/... ./internal/repo/... && REMARK="$(REMARK)" go test -count=1 ./docs/... ./cmd/... ./internal/repo/...

diagrams-check: ## tools/d2's own tests: a full re-render of docs/diagrams with the pinned D2
	cd $(ROOT)/tools/d2 && GOWORK=off go test -count=1 ./...

$(REMARK_DIR)/.done:
	rm -rf $(REMARK_DIR) $(REMARK_DIR).tmp && mkdir -p $(REMARK_DIR).tmp
	cp $(ROOT)/tools/remark/package.json $(ROOT)/tools/remark/package-lock.json $(REMARK_DIR).tmp/
	cd $(REMARK_DIR).tmp && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(REMARK_DIR).tmp/.done && mv $(REMARK_DIR).tmp $(REMARK_DIR)

$(D2RENDER): $(ROOT)/tools/d2/go.mod $(ROOT)/tools/d2/go.sum $(ROOT)/tools/d2/main.go
	mkdir -p $(dir $@)
	cd $(ROOT)/tools/d2 && GOWORK=off go build -o $@ .
