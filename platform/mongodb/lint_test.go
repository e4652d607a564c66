package mongodb

import (
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
)

// helm lint --strict: no warnings or errors (info messages, such as a missing icon, are fine).
func TestClusterChartLint(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion(helmrender.KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	linter := lint.AllWithKubeVersion(clusterChartDir(t), requiredValues(), "mongodb", kv)
	for _, msg := range linter.Messages {
		if msg.Severity >= support.WarningSev {
			t.Errorf("helm lint: %s", msg)
		}
	}
}
