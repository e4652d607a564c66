// Package mongodb checks deploy/mongodb offline: the orders-mongodb chart rendered with the Helm
// SDK and validated against the Percona operator's own CRDs (OpenAPI schema, unknown fields and
// CEL rules, as the API server would), the psmdb-operator values, the example manifests and
// scripts/mongodb-secret.sh against a fake kubectl. (Secret material is Trivy's secret scan, in
// `make scan`: platform/secrets.)
//
// The CRDs are read from the operator's Go module in the module cache (never copied into git);
// OperatorCRDPath downloads the pinned version when it is absent.
package mongodb
