// Package terraform holds orderstack's own offline rules for infra/ that no standard tool has
// (docs/infra.md, "Checks"): terraform fmt/validate/test, tflint and Trivy check the rest. Its
// HCL loader (Load, Blocks, EvalLocal, NamespaceLabels) also serves the chart and e2e tests.
package terraform
