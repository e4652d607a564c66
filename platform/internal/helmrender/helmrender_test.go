package helmrender

import (
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestRenderAndLint: values apply in the CLI's order, the schema is enforced (by Render and by
// Lint), and the release, the Kubernetes version and the extra APIs reach the templates.
func TestRenderAndLint(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"values.yaml":        "a: chart\nb: chart\nc: chart\nn: 1\n",
		"values.schema.json": `{"type":"object","properties":{"n":{"type":"integer"}}}`,
		"over.yaml":          "b: file\nc: file\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: a={{ .Values.a }} b={{ .Values.b }} c={{ .Values.c }} " +
			"kube={{ .Capabilities.KubeVersion.Minor }} mon={{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }} " +
			"rel={{ .Release.Name }}/{{ .Release.Namespace }}\n",
		"templates/NOTES.txt": "notes for {{ .Release.Name }}\n",
	} {
		repo.Write(t, dir, name, content)
	}
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Values: map[string]any{"a": "map", "b": "map", "c": "map"}, ValueFiles: []string{"over.yaml"}, Set: []string{"c=set"},
			APIVersions: []string{"monitoring.coreos.com/v1"}}, "a=map b=file c=set kube=33 mon=true rel=c/c\nnotes for c"},
		{Options{Release: "r", Namespace: "ns"}, "mon=false rel=r/ns\nnotes for r"},
		{Options{Set: []string{"n=x"}}, "error: values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '/n'"},
	} {
		got := "error: "
		if rel, err := Render(dir, tt.o); err == nil {
			got = rel.Manifest + rel.Info.Notes
		} else {
			got += err.Error()
		}
		msgs, err := Lint(dir, tt.o)
		if !strings.Contains(got, tt.want) || err != nil || (len(msgs) > 0) != strings.HasPrefix(tt.want, "error") {
			t.Errorf("Render(%+v) = %q, want it to contain %q; Lint = %v, %v", tt.o, got, tt.want, msgs, err)
		}
	}
}
