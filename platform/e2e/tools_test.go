package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestK8sWrapperPinsOneRelease: tools/k8s builds k8s.io/kubernetes v1.X.Y against its staging
// modules at v0.X.Y; bumping one without the others builds a mixed control plane (or none).
func TestK8sWrapperPinsOneRelease(t *testing.T) {
	path := filepath.Join(repo.Root(t), "tools", "k8s", "go.mod")
	f, err := modfile.Parse(path, []byte(repo.Read(t, path)), nil)
	if err != nil {
		t.Fatal(err)
	}
	staging := ""
	for _, r := range f.Require {
		if r.Mod.Path == "k8s.io/kubernetes" && strings.HasPrefix(r.Mod.Version, "v1.") {
			staging = "v0." + strings.TrimPrefix(r.Mod.Version, "v1.")
		}
	}
	if staging == "" || len(f.Replace) < 20 {
		t.Fatalf("%s: want k8s.io/kubernetes v1.X.Y and one replace per staging module (about 30), got %d replaces", path, len(f.Replace))
	}
	for _, r := range f.Replace {
		if strings.HasPrefix(r.Old.Path, "k8s.io/") && (r.New.Path != r.Old.Path || r.New.Version != staging) {
			t.Errorf("replace %s => %s %s, want %[1]s %[4]s", r.Old.Path, r.New.Path, r.New.Version, staging)
		}
	}
}
