package terraform

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNamespaceLabels(t *testing.T) {
	src := `
resource "kubernetes_namespace_v1" "app" {
  metadata {
    name   = var.app_namespace
    labels = { "a/b" = "enabled", c = "d" }
  }
}
resource "kubernetes_namespace_v1" "computed" {
  metadata {
    name   = "x"
    labels = { a = var.value }
  }
}
`
	f, err := Parse("modules/addons/main.tf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	files := []File{f}
	got, err := NamespaceLabels(files, "modules/addons", "app")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a/b": "enabled", "c": "d"}, got); diff != "" {
		t.Errorf("NamespaceLabels(app) (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"computed": "not a constant map", "absent": "no resource"} {
		if _, err := NamespaceLabels(files, "modules/addons", name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NamespaceLabels(%s) error = %v, want one with %q", name, err, want)
		}
	}
}
