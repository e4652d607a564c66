// Package chart checks, offline, how the order service is packaged: the Helm
// chart in deploy/helm/orders (lint, schema, strict decoding of every rendered
// object into the Kubernetes and prometheus-operator API types, and the
// deployment policy) and the container image definition in backend/Dockerfile.
//
// Everything is in the tests; run them with `go test ./chart/...` in platform/.
package chart
