// Stand-in for Terraform's "oci" state backend, a nested module of github.com/hashicorp/terraform
// that the Go module proxy does not serve. orderstack keeps its state in S3; this backend only
// reports that it is not built in.
module github.com/hashicorp/terraform/internal/backend/remote-state/oci

go 1.24
