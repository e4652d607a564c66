package mongodb

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestClusterChartMatchesCRDs renders the chart with the value sets of its helm-unittest suites
// (deploy/mongodb/cluster/tests, which assert what the objects say) and validates every
// PerconaServerMongoDB* object, hooks included, against the pinned operator's CRDs (schema,
// unknown fields, CEL) as the API server would; helm lint allows no warning.
func TestClusterChartMatchesCRDs(t *testing.T) {
	for name, values := range map[string]map[string]any{
		"defaults": nil,
		"values": {"backupRetentionCount": 14, "backupSchedule": "30 1 * * *", "pitrEnabled": false, "replicas": 5,
			"createStorageClass": false, "storageClassName": "gp3", "baseBackup": false, "networkPolicy": false},
		"developers":     {"developerUsers": []any{map[string]any{"name": "alice"}, map[string]any{"name": "bob", "access": "readWrite"}}},
		"monitoring off": {"monitoring": map[string]any{"enabled": false}},
	} {
		t.Run(name, func(t *testing.T) {
			n := 0
			for _, o := range renderObjects(t, values) {
				if k, _ := o["kind"].(string); strings.HasPrefix(k, "PerconaServerMongoDB") {
					mustValidate(t, o)
					n++
				}
			}
			if n == 0 {
				t.Error("rendered no PerconaServerMongoDB")
			}
		})
	}
	for _, m := range repo.Must[[]support.Message](t)(helmrender.Lint(clusterChartDir(t), helmrender.Options{Namespace: "mongodb", Values: requiredValues(nil)})) {
		t.Errorf("helm lint: %s", m)
	}
}
