package chart

import (
	"path/filepath"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// valueKeys returns every key path (dotted) of a values file, with whether the key carries a
// comment (above it or at the end of its line): helm-docs documents only commented keys.
func valueKeys(tb testing.TB, file string) map[string]bool {
	tb.Helper()
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal([]byte(repo.Read(tb, filepath.Join(chartDir(tb), file))), &doc); err != nil || len(doc.Content) == 0 {
		tb.Fatalf("%s: %v", file, err)
	}
	out := map[string]bool{}
	var walk func(prefix string, n *yamlv3.Node)
	walk = func(prefix string, n *yamlv3.Node) {
		for i := 0; n.Kind == yamlv3.MappingNode && i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			out[prefix+k.Value] = strings.TrimSpace(k.HeadComment+k.LineComment+v.LineComment) != ""
			walk(prefix+k.Value+".", v)
		}
	}
	walk("", doc.Content[0])
	return out
}

// TestValuesCommented: every key of every values file has a comment.
func TestValuesCommented(t *testing.T) {
	for _, f := range []string{"values.yaml", "values-dev.yaml", "values-prod.yaml"} {
		for k, commented := range valueKeys(t, f) {
			if !commented {
				t.Errorf("%s: key %s has no comment", f, k)
			}
		}
	}
}
