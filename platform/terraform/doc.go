// Package terraform holds the offline checks of infra/: every .tf file parses and is formatted,
// the module and root conventions of docs/infra.md hold, and the security policies (immutable
// ECR tags, encrypted EKS secrets, private nodes, no open ingress, S3 hardening, GitHub OIDC
// trust limited to one repository) are asserted on the HCL itself. Nothing here needs the
// terraform binary, providers or AWS.
package terraform
