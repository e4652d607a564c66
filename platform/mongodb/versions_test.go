package mongodb

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestImagesAndKubernetesCertifiedByOperatorRelease: every image the operator runs for us is one
// its release certifies (e2e-tests/release_versions of the pinned operator module), and the
// Kubernetes versions the chart accepts start at the release's EKS minimum.
func TestImagesAndKubernetesCertifiedByOperatorRelease(t *testing.T) {
	rv, certified := map[string]string{}, map[string]bool{}
	for _, line := range strings.Split(string(operatorFile(t, "e2e-tests/release_versions")), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			rv[k] = v
			certified[v] = certified[v] || strings.HasPrefix(k, "IMAGE_")
		}
	}
	ov := readOperatorValues(t)
	cr := ofKind(t, renderObjects(t, nil), "PerconaServerMongoDB")
	for what, image := range map[string]any{
		"operator":       ov.Image.Repository + ":" + ov.Image.Tag,
		"mongod":         at(cr, "spec.image"),
		"backup agent":   at(cr, "spec.backup.image"),
		"PMM (disabled)": at(cr, "spec.pmm.image"),
	} {
		if s, _ := image.(string); !certified[s] {
			t.Errorf("%s image %v is not certified for operator %s (release_versions: %v)", what, image, OperatorVersion, rv)
		}
	}

	chrt := repo.Must[*chart.Chart](t)(loader.Load(clusterChartDir(t)))
	if want := ">=" + rv["EKS_MIN"] + ".0-0"; !strings.HasPrefix(chrt.Metadata.KubeVersion, want) {
		t.Errorf("Chart.yaml kubeVersion = %q, want %s (EKS_MIN)", chrt.Metadata.KubeVersion, want)
	}
	minor := func(v string) uint { return version.MustParseGeneric(v).Minor() }
	if m := minor(helmrender.KubeVersion); m < minor(rv["EKS_MIN"]) || m > minor(rv["EKS_MAX"]) {
		t.Errorf("tests render for Kubernetes %s, outside EKS %s..%s", helmrender.KubeVersion, rv["EKS_MIN"], rv["EKS_MAX"])
	}
}
