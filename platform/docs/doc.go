// Package docs checks what remark-validate-links (make test-docs) cannot see of the
// documentation: runbook URLs in rendered charts, `make` commands in docs, diagrams rendered
// from their current source, the docs index; and generates docs/resources.md from
// terraform-docs output (cmd/resourcesgen, `make docs`).
package docs
