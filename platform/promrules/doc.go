// Package promrules checks the Prometheus rules the charts render (deploy/helm/orders,
// deploy/mongodb/cluster) and their Grafana dashboards' queries with the pinned promtool
// (`make promtool-check`): `promtool check rules`, and `promtool test rules` on testdata/.
package promrules
