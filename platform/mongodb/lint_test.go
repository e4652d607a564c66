package mongodb

import (
	"testing"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
)

// helm lint --strict: no warnings or errors (info messages, such as a missing icon, are fine).
func TestClusterChartLint(t *testing.T) {
	msgs, err := helmrender.Lint(clusterChartDir(t), helmrender.Options{Namespace: "mongodb", Values: requiredValues()})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		t.Errorf("helm lint: %s", m)
	}
}
