// Package terraform holds orderstack's own offline rules for infra/ that no standard tool has
// (docs/infra.md, "Checks"), on the HCL syntax (load.go reads literals only, it evaluates
// nothing): terraform fmt/validate/test, tflint and Trivy check the rest, and tfConsole asks the
// pinned terraform itself where a test needs a value Terraform computes.
package terraform
