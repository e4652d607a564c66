package terraform

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestMongoDBOperatorHasBackupRole: the Percona operator validates every restore and deletes old
// backups by reading S3 from its own process, so the backup role must be associated with the
// ServiceAccount the psmdb-operator chart creates. The chart names it "psmdb-operator.fullname":
// the release name when it contains the chart's name and no name override is set
// (percona-helm-charts charts/psmdb-operator/templates/_helpers.tpl, chart 1.21.2). That the
// association follows mongodb_operator_service_account and carries the role is `terraform test`
// (workload-identities, pod-identity).
func TestMongoDBOperatorHasBackupRole(t *testing.T) {
	files := loadInfra(t)
	var release, chart string
	for _, r := range Blocks(InDir(files, "modules/addons"), "resource", "helm_release") {
		if r.Labels[1] == "psmdb_operator" {
			release, _ = LiteralString(r.Body, "name")
			chart, _ = LiteralString(r.Body, "chart")
			if ns := r.Body.Attributes["namespace"]; ns == nil || !RefersTo(ns.Expr, "kubernetes_namespace_v1.mongodb") {
				t.Errorf("%s: the operator must be installed in the mongodb namespace", r.Where())
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(infraDir, "..", "deploy", "mongodb", "operator-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		NameOverride, FullnameOverride string
		ServiceAccount                 struct{ Create *bool }
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	if release != chart || values.NameOverride != "" || values.FullnameOverride != "" || (values.ServiceAccount.Create != nil && !*values.ServiceAccount.Create) {
		t.Fatalf("helm_release.psmdb_operator %q of chart %q with values %+v: the chart's ServiceAccount is no longer the release name", release, chart, values)
	}
	var got string
	for _, v := range Blocks(InDir(files, "modules/workload-identities"), "variable", "mongodb_operator_service_account") {
		got, _ = LiteralString(v.Body, "default")
	}
	if got != release {
		t.Errorf("modules/workload-identities: mongodb_operator_service_account default = %q, want %q (the chart's ServiceAccount)", got, release)
	}
	for _, s := range Blocks(InDir(files, "modules/stack"), "module", "workload_identities") {
		if _, ok := s.Body.Attributes["mongodb_operator_service_account"]; ok {
			t.Errorf("%s: mongodb_operator_service_account is set away from the chart's name", s.Where())
		}
	}
}

// TestMongoDBServiceAccountMatchesChart: the members' backup pod identity is associated with the
// service account the orders-mongodb chart creates. (The values Terraform gives that chart exist
// in its values.yaml, and its StorageClass does not collide with Terraform's: terraform test of
// modules/addons and envs.)
func TestMongoDBServiceAccountMatchesChart(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(infraDir, "..", "deploy", "mongodb", "cluster", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct{ ServiceAccountName string }
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	files := loadInfra(t)
	for _, dir := range []string{"modules/addons", "modules/workload-identities"} {
		for _, v := range Blocks(InDir(files, dir), "variable", "mongodb_service_account") {
			if got, _ := LiteralString(v.Body, "default"); got != values.ServiceAccountName {
				t.Errorf("%s: mongodb_service_account default = %q, chart serviceAccountName = %q", v.Where(), got, values.ServiceAccountName)
			}
		}
	}
}
