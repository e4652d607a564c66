package chart

import (
	"path/filepath"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestValuesCommented: every key of every values file has a comment, above it or at the end of
// its line (helm-docs documents only commented keys).
func TestValuesCommented(t *testing.T) {
	for _, f := range []string{"values.yaml", "values-dev.yaml", "values-prod.yaml"} {
		var doc yamlv3.Node
		if err := yamlv3.Unmarshal([]byte(repo.Read(t, filepath.Join(chartDir(t), f))), &doc); err != nil || len(doc.Content) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		var walk func(prefix string, n *yamlv3.Node)
		walk = func(prefix string, n *yamlv3.Node) {
			for i := 0; n.Kind == yamlv3.MappingNode && i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if strings.TrimSpace(k.HeadComment+k.LineComment+v.LineComment) == "" {
					t.Errorf("%s: key %s%s has no comment", f, prefix, k.Value)
				}
				walk(prefix+k.Value+".", v)
			}
		}
		walk("", doc.Content[0])
	}
}
