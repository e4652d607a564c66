// Package platform holds the offline checks of everything that deploys the
// order service: the Helm chart, the Terraform, the GitHub workflows, the
// docs, and the end-to-end test on a real Kubernetes control plane. It is a
// Go module of its own so that the heavy SDKs it needs (Helm, Kubernetes API
// types, HCL, actionlint, BuildKit) never enter the service's go.mod.
package platform
