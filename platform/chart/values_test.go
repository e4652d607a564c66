package chart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
)

// valueKeys walks a values file and returns every key path (dotted) with
// whether the key carries a comment (above it or at the end of its line).
func valueKeys(tb testing.TB, path string) map[string]bool {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(b, &doc); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	out := map[string]bool{}
	var walk func(prefix string, n *yamlv3.Node)
	walk = func(prefix string, n *yamlv3.Node) {
		if n.Kind == yamlv3.DocumentNode {
			for _, c := range n.Content {
				walk(prefix, c)
			}
			return
		}
		if n.Kind != yamlv3.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			out[p] = strings.TrimSpace(k.HeadComment) != "" || strings.TrimSpace(k.LineComment) != "" || strings.TrimSpace(v.LineComment) != ""
			walk(p, v)
		}
	}
	walk("", &doc)
	return out
}

// TestValuesCommented: every key of every values file has a comment.
func TestValuesCommented(t *testing.T) {
	for _, f := range []string{"values.yaml", "values-dev.yaml", "values-prod.yaml"} {
		keys := valueKeys(t, filepath.Join(chartDir(t), f))
		if len(keys) == 0 {
			t.Fatalf("%s has no keys", f)
		}
		for k, commented := range keys {
			if !commented {
				t.Errorf("%s: key %s has no comment", f, k)
			}
		}
	}
}

// schemaPaths lists the property paths of values.schema.json (objects with
// properties are walked; $refs into definitions are followed).
func schemaPaths(tb testing.TB) map[string]bool {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir(tb), "values.schema.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		tb.Fatal(err)
	}
	defs, _ := root["definitions"].(map[string]any)
	out := map[string]bool{}
	var walk func(prefix string, s map[string]any)
	walk = func(prefix string, s map[string]any) {
		if ref, ok := s["$ref"].(string); ok {
			if d, ok := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any); ok {
				s = d
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, v := range props {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			if child, ok := v.(map[string]any); ok {
				walk(p, child)
			}
		}
	}
	walk("", root)
	return out
}

// TestValuesMatchSchema: values.yaml and the schema describe the same keys
// (the schema refuses unknown keys, so a key missing from it could never be set).
func TestValuesMatchSchema(t *testing.T) {
	keys := valueKeys(t, filepath.Join(chartDir(t), "values.yaml"))
	schema := schemaPaths(t)
	delete(schema, "global") // Helm's own key for parent charts
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
