// Package secrets holds the test of the repository's secret scan: Trivy's secret scanner with
// the project rules of tools/trivy/trivy-secret.yaml. It needs the Trivy binary that
// `make trivy` builds, so it runs under the build tag trivy, from `make scan`:
//
//	TRIVY=~/.cache/orderstack/bin/trivy-<version>-<hash>/trivy go test -tags trivy ./secrets/
package secrets
