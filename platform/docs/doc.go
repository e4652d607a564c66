// Package docs checks the documentation of orderstack and generates the part
// of it that is derived from code: docs/resources.md, from the Terraform under
// infra/ and the charts under deploy/ (see cmd/resourcesgen and `make docs`).
//
// The tests of this package fail when a relative link or #anchor in any
// Markdown file of the repository is broken, when an alert's runbook_url
// points to a heading that does not exist, when a document tells the reader
// to run a `make` target that no Makefile defines, when docs/resources.md is
// not what the generator produces from the current sources, or when a
// committed SVG under docs/diagrams was rendered from another version of its
// D2 source.
package docs
