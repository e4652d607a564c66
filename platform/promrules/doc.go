// Package promrules checks every Prometheus rule file of the repository with the real promtool:
// the PrometheusRule objects the charts render (deploy/helm/orders, deploy/mongodb/cluster) are
// written out as rule files, `promtool check rules` validates them, and `promtool test rules`
// runs the unit tests in testdata/ against them (each alert fires on the series that should fire
// it and stays quiet otherwise). promtool is built pinned by `make promtool` (tools/promtool) and
// passed in as $PROMTOOL; `make promtool-check` runs these tests.
package promrules
