package chart

import (
	"testing"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
)

// TestLint runs the Helm SDK's linter (what `helm lint` runs: Chart.yaml,
// values against the schema, every template rendered and parsed) for each
// environment's values, and allows no error and no warning.
func TestLint(t *testing.T) {
	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			msgs, err := helmrender.Lint(chartDir(t), helmrender.Options{Namespace: namespace, ValueFiles: env.files})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				t.Errorf("lint: %v", m)
			}
		})
	}
}
