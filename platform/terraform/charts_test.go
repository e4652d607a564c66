package terraform

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"sigs.k8s.io/yaml"
)

// chartValueKeys returns the top-level keys of a chart's values.yaml.
func chartValueKeys(t *testing.T, chartDir string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatalf("%s/values.yaml: %v", chartDir, err)
	}
	keys := map[string]bool{}
	for k := range values {
		keys[k] = true
	}
	return keys
}

// objectKeys returns the literal keys of an HCL object constructor.
func objectKeys(t *testing.T, expr hclsyntax.Expression) []string {
	t.Helper()
	obj, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		t.Fatalf("expression at %s is not an object constructor", expr.Range())
	}
	var keys []string
	for _, item := range obj.Items {
		v, diags := item.KeyExpr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("non-literal key at %s", item.KeyExpr.Range())
		}
		keys = append(keys, v.AsString())
	}
	sort.Strings(keys)
	return keys
}

// TestMongoDBChartValuesExist: every value Terraform and the environments' main.tf give the orders-mongodb chart is
// a key of deploy/mongodb/cluster/values.yaml (the chart's schema refuses unknown keys, so a
// renamed value would fail only at apply).
func TestMongoDBChartValuesExist(t *testing.T) {
	chart := filepath.Join(infraDir, "..", "deploy", "mongodb", "cluster")
	keys := chartValueKeys(t, chart)
	files := loadInfra(t)

	l, ok := Locals(InDir(files, "modules/addons"))["mongodb_values"]
	if !ok {
		t.Fatal("modules/addons has no local mongodb_values")
	}
	call, ok := l.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "merge" || len(call.Args) == 0 {
		t.Fatalf("local.mongodb_values = %s, want merge({...}, var.mongodb_values)", l.Text())
	}
	set := objectKeys(t, call.Args[0])
	for _, env := range environments {
		v := tfvars(t, envRoot+"/"+env+".tfvars")["mongodb_values"]
		if v.IsNull() {
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			set = append(set, k.AsString())
		}
	}
	if len(set) < 5 {
		t.Fatalf("found only %d values (%q); the parser missed some", len(set), set)
	}
	for _, k := range set {
		if !keys[k] {
			t.Errorf("value %q given to the orders-mongodb chart is not in %s/values.yaml", k, chart)
		}
	}
}

// TestMongoDBServiceAccountMatchesChart: the backup pod identity is associated with the service
// account the chart creates.
func TestMongoDBServiceAccountMatchesChart(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(infraDir, "..", "deploy", "mongodb", "cluster", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		ServiceAccountName string `json:"serviceAccountName"`
		StorageClassName   string `json:"storageClassName"`
	}
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
	for _, sc := range Blocks(files, "resource", "kubernetes_storage_class_v1") {
		for _, md := range Child(sc.Block, "metadata") {
			if name, _ := LiteralString(md.Body, "name"); name == values.StorageClassName {
				t.Errorf("%s: Terraform's StorageClass %q collides with the one the MongoDB chart creates", sc.Where(), name)
			}
		}
	}
}
