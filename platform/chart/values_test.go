package chart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
)

// valueKeys returns every key path (dotted) of a values file, with whether the key carries a
// comment (above it or at the end of its line): helm-docs documents only commented keys.
func valueKeys(tb testing.TB, file string) map[string]bool {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir(tb), file))
	if err != nil {
		tb.Fatal(err)
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(b, &doc); err != nil || len(doc.Content) == 0 {
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

// TestValuesMatchSchema: values.yaml and values.schema.json describe the same keys. The schema
// refuses unknown keys, so a key missing from it could never be set; a schema property without a
// default in values.yaml is undocumented.
func TestValuesMatchSchema(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir(t), "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["definitions"].(map[string]any)
	schema := map[string]bool{}
	var walk func(prefix string, s map[string]any)
	walk = func(prefix string, s map[string]any) {
		if ref, ok := s["$ref"].(string); ok {
			if d, ok := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any); ok {
				s = d
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, v := range props {
			schema[prefix+k] = true
			if child, ok := v.(map[string]any); ok {
				walk(prefix+k+".", child)
			}
		}
	}
	walk("", root)
	delete(schema, "global") // Helm's own key for parent charts
	keys := valueKeys(t, "values.yaml")
	for k := range keys {
		if !schema[k] && !strings.HasPrefix(k, "monitoring.labels.") {
			t.Errorf("values.yaml key %s is not in values.schema.json", k)
		}
	}
	for k := range schema {
		if _, ok := keys[k]; !ok {
			t.Errorf("values.schema.json property %s has no default in values.yaml", k)
		}
	}
}
