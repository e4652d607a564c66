package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"sigs.k8s.io/yaml"
)

// chartFullname is the psmdb-operator chart's "psmdb-operator.fullname" helper (percona-helm-charts,
// charts/psmdb-operator/templates/_helpers.tpl, chart 1.21.2): fullnameOverride, else the release
// name when it contains the chart name, else "<release>-<chart>". The chart names the operator's
// ServiceAccount (templates/role-binding.yaml) and its Deployment's serviceAccountName with it.
func chartFullname(release, chart, nameOverride, fullnameOverride string) string {
	if fullnameOverride != "" {
		return fullnameOverride
	}
	name := chart
	if nameOverride != "" {
		name = nameOverride
	}
	if strings.Contains(release, name) {
		return release
	}
	return release + "-" + name
}

// TestMongoDBOperatorHasBackupRole: the Percona operator validates every restore and deletes old
// backups by reading S3 from its own process, so the backup role must be associated with the
// ServiceAccount the psmdb-operator chart really creates, in the namespace it is installed in.
// Removing the association, renaming the release or overriding the chart's names fails here.
func TestMongoDBOperatorHasBackupRole(t *testing.T) {
	files := loadInfra(t)

	// The operator's ServiceAccount as the chart will name it.
	releases := Blocks(InDir(files, "modules/addons"), "resource", "helm_release")
	var release, chart string
	for _, r := range releases {
		if r.Labels[1] == "psmdb_operator" {
			release, _ = LiteralString(r.Body, "name")
			chart, _ = LiteralString(r.Body, "chart")
			if ns := r.Body.Attributes["namespace"]; ns == nil || !RefersTo(ns.Expr, "kubernetes_namespace_v1.mongodb") {
				t.Errorf("%s: the operator must be installed in the mongodb namespace", r.Where())
			}
		}
	}
	if release == "" || chart == "" {
		t.Fatal("modules/addons: no helm_release.psmdb_operator with literal name and chart")
	}
	b, err := os.ReadFile(filepath.Join(infraDir, "..", "deploy", "mongodb", "operator-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		NameOverride     string `json:"nameOverride"`
		FullnameOverride string `json:"fullnameOverride"`
		ServiceAccount   struct {
			Create *bool `json:"create"`
		} `json:"serviceAccount"`
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	if values.ServiceAccount.Create != nil && !*values.ServiceAccount.Create {
		t.Error("operator-values.yaml: serviceAccount.create false; the association needs the chart's ServiceAccount")
	}
	want := chartFullname(release, chart, values.NameOverride, values.FullnameOverride)

	// The workload-identities module associates the backup role with it.
	wi := InDir(files, "modules/workload-identities")
	var got string
	for _, v := range Blocks(wi, "variable", "mongodb_operator_service_account") {
		got, _ = LiteralString(v.Body, "default")
	}
	if got != want {
		t.Errorf("modules/workload-identities: mongodb_operator_service_account default = %q, want %q (the chart's ServiceAccount of release %q)", got, want, release)
	}
	mods := Blocks(wi, "module", "mongodb_backup")
	if len(mods) != 1 {
		t.Fatalf("modules/workload-identities: %d module.mongodb_backup blocks, want 1", len(mods))
	}
	m := mods[0]
	extra, ok := m.Body.Attributes["additional_service_accounts"]
	if !ok || !RefersTo(extra.Expr, "var.mongodb_operator_service_account") || !RefersTo(extra.Expr, "var.mongodb_namespace") {
		t.Errorf("%s: module.mongodb_backup does not associate the backup role with var.mongodb_namespace/var.mongodb_operator_service_account", m.Where())
	}

	// The pod-identity module turns each additional service account into an association with the same role.
	var assoc *hclsyntax.Block
	for _, r := range Blocks(InDir(files, "modules/pod-identity"), "resource", "aws_eks_pod_identity_association") {
		if r.Labels[1] == "additional" {
			assoc = r.Block
		}
	}
	if assoc == nil {
		t.Fatal("modules/pod-identity: no aws_eks_pod_identity_association.additional")
	}
	if fe := assoc.Body.Attributes["for_each"]; fe == nil || !RefersTo(fe.Expr, "var.additional_service_accounts") {
		t.Error("modules/pod-identity: aws_eks_pod_identity_association.additional is not one per var.additional_service_accounts")
	}
	if ra := assoc.Body.Attributes["role_arn"]; ra == nil || !RefersTo(ra.Expr, "aws_iam_role.this") {
		t.Error("modules/pod-identity: the additional associations must carry the module's own role")
	}

	// No environment overrides the variable away from the chart's name.
	for _, s := range Blocks(InDir(files, "modules/stack"), "module", "workload_identities") {
		if a, ok := s.Body.Attributes["mongodb_operator_service_account"]; ok {
			if v, _ := LiteralString(s.Body, "mongodb_operator_service_account"); v != want {
				t.Errorf("%s: mongodb_operator_service_account = %s, want %q", s.Where(), s.File.Text(a.Expr.Range()), want)
			}
		}
	}
}

func TestChartFullname(t *testing.T) {
	for _, c := range []struct{ release, chart, name, full, want string }{
		{"psmdb-operator", "psmdb-operator", "", "", "psmdb-operator"},
		{"mongo", "psmdb-operator", "", "", "mongo-psmdb-operator"},
		{"my-psmdb-operator", "psmdb-operator", "", "", "my-psmdb-operator"},
		{"psmdb-operator", "psmdb-operator", "", "op", "op"},
		{"x", "psmdb-operator", "op", "", "x-op"},
	} {
		if got := chartFullname(c.release, c.chart, c.name, c.full); got != c.want {
			t.Errorf("chartFullname(%q, %q, %q, %q) = %q, want %q", c.release, c.chart, c.name, c.full, got, c.want)
		}
	}
}
