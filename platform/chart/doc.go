// Package chart checks, offline, how the order service is packaged. The behaviour of the rendered
// objects and the values schema are the helm-unittest suites in deploy/helm/orders/tests (`make
// test-chart`); here is what they cannot do: every object decoded strictly into its Kubernetes or
// prometheus-operator API type, helm lint, the checks that span the chart and other files
// (Terraform's subnets, scripts/mongodb-secret.sh, the metrics contract), and the image
// (backend/Dockerfile, `make build`).
package chart
