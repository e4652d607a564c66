package helmrender

import (
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestRenderPrecedenceAndCapabilities: values apply in the CLI's order, the
// schema is enforced, and the Kubernetes version and extra APIs reach the
// templates.
func TestRenderPrecedenceAndCapabilities(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"values.yaml":        "a: chart\nb: chart\nc: chart\nd: chart\nn: 1\n",
		"values.schema.json": `{"type":"object","properties":{"n":{"type":"integer"}}}`,
		"over.yaml":          "b: file\nc: file\nd: file\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: a={{ .Values.a }} b={{ .Values.b }} c={{ .Values.c }} d={{ .Values.d }} " +
			"kube={{ .Capabilities.KubeVersion.Minor }} mon={{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }} " +
			"rel={{ .Release.Name }}/{{ .Release.Namespace }}\n",
		"templates/NOTES.txt": "notes for {{ .Release.Name }}\n",
	}
	for name, content := range files {
		repo.Write(t, dir, name, content)
	}
	rel, err := Render(dir, Options{
		Values:      map[string]any{"a": "map", "b": "map", "c": "map", "d": "map"},
		ValueFiles:  []string{"over.yaml"},
		Set:         []string{"c=set"},
		SetJSON:     []string{`d="json"`},
		APIVersions: []string{"monitoring.coreos.com/v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "a=map b=file c=set d=json kube=33 mon=true rel=c/c"
	if !strings.Contains(rel.Manifest, want) {
		t.Errorf("manifest = %q, want it to contain %q", rel.Manifest, want)
	}
	if !strings.Contains(rel.Info.Notes, "notes for c") {
		t.Errorf("notes = %q", rel.Info.Notes)
	}
	rel, err = Render(dir, Options{Release: "r", Namespace: "ns"})
	if err != nil || !strings.Contains(rel.Manifest, "mon=false rel=r/ns") {
		t.Errorf("without the extra API: %v\n%v", err, rel)
	}
	if _, err := Render(dir, Options{Set: []string{"n=x"}}); err == nil || !strings.Contains(err.Error(), "n") {
		t.Errorf("a value the schema refuses rendered: %v", err)
	}
	if msgs, err := Lint(dir, Options{}); err != nil || len(msgs) != 0 {
		t.Errorf("Lint of a clean chart = %v, %v; want nothing", msgs, err)
	}
	if msgs, err := Lint(dir, Options{Set: []string{"n=x"}}); err != nil || len(msgs) == 0 {
		t.Errorf("Lint with a value the schema refuses = %v, %v; want an error", msgs, err)
	}
}
