// Package mongodb checks deploy/mongodb offline, beside the cluster chart's helm-unittest suites:
// every PerconaServerMongoDB* object the chart renders and every example validated against the
// Percona operator's own CRDs (OpenAPI schema, unknown fields and CEL rules, as the API server
// would); the exporter, kube-state-metrics and images against the operator's source and release;
// the psmdb-operator values; scripts/mongodb-secret.sh against a fake kubectl (its CA where the
// orders chart mounts it). The CRDs are read from the operator's Go module in the module cache
// (never copied into git); OperatorCRDPath downloads the pinned version when it is absent.
package mongodb
