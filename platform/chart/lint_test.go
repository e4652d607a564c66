package chart

import (
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
)

// TestLint runs the Helm SDK's linter (what `helm lint` runs: Chart.yaml,
// values against the schema, every template rendered and parsed) for each
// environment's values, and allows no error and no warning.
func TestLint(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion(helmrender.KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			var vo values.Options
			for _, f := range env.files {
				vo.ValueFiles = append(vo.ValueFiles, filepath.Join(chartDir(t), f))
			}
			vals, err := vo.MergeValues(getter.Providers{})
			if err != nil {
				t.Fatal(err)
			}
			linter := lint.AllWithKubeVersion(chartDir(t), vals, namespace, kv)
			for _, m := range linter.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("lint: %v", m)
				} else {
					t.Logf("lint (info): %v", m)
				}
			}
		})
	}
}
