package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestK8sWrapperPinsOneRelease: tools/k8s builds k8s.io/kubernetes v1.X.Y against the staging
// modules at v0.X.Y. A bump of one without the others builds a mixed control plane (or none), so
// every k8s.io replace must name exactly the matching staging release.
func TestK8sWrapperPinsOneRelease(t *testing.T) {
	path := filepath.Join(repo.Root(t), "tools", "k8s", "go.mod")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kube string
	for _, r := range f.Require {
		if r.Mod.Path == "k8s.io/kubernetes" {
			kube = r.Mod.Version
		}
	}
	if !strings.HasPrefix(kube, "v1.") {
		t.Fatalf("%s requires k8s.io/kubernetes %q, want a v1.X.Y release", path, kube)
	}
	staging := "v0." + strings.TrimPrefix(kube, "v1.")
	if len(f.Replace) < 20 {
		t.Errorf("%s has %d replaces, want one per staging module (about 30)", path, len(f.Replace))
	}
	for _, r := range f.Replace {
		if !strings.HasPrefix(r.Old.Path, "k8s.io/") {
			continue
		}
		if r.New.Path != r.Old.Path || r.New.Version != staging {
			t.Errorf("replace %s => %s %s, want %s %s (the staging release of k8s.io/kubernetes %s)",
				r.Old.Path, r.New.Path, r.New.Version, r.Old.Path, staging, kube)
		}
	}
}
