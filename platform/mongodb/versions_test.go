package mongodb

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/repo"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
)

// releaseVersions reads e2e-tests/release_versions of the pinned operator module: the images
// and platform versions Percona certified for that release.
func releaseVersions(tb testing.TB) map[string]string {
	tb.Helper()
	crd, err := OperatorCRDPath(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(filepath.Join(filepath.Dir(filepath.Dir(crd)), "e2e-tests", "release_versions"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(s.Text()), "="); ok {
			out[k] = v
		}
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Every image the operator runs for us is one its release certifies, and the Kubernetes
// versions the chart accepts start at the release's EKS minimum.
func TestImagesAndKubernetesCertifiedByOperatorRelease(t *testing.T) {
	rv := releaseVersions(t)
	certified := map[string]bool{}
	for k, v := range rv {
		if strings.HasPrefix(k, "IMAGE_") {
			certified[v] = true
		}
	}
	if len(certified) == 0 {
		t.Fatal("release_versions lists no images")
	}

	raw, err := os.ReadFile(filepath.Join(repo.Root(t), "deploy", "mongodb", "operator-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ov operatorValues
	if err := yaml.Unmarshal(raw, &ov); err != nil {
		t.Fatal(err)
	}
	var cr struct {
		Spec struct {
			Image  string `json:"image"`
			Backup struct {
				Image string `json:"image"`
			} `json:"backup"`
			PMM struct {
				Image string `json:"image"`
			} `json:"pmm"`
		} `json:"spec"`
	}
	objs := mustRenderObjects(t, requiredValues())
	view(t, objectsOfKind(objs, "PerconaServerMongoDB")[0], &cr)
	for what, image := range map[string]string{
		"operator":       ov.Image.Repository + ":" + ov.Image.Tag,
		"mongod":         cr.Spec.Image,
		"backup agent":   cr.Spec.Backup.Image,
		"PMM (disabled)": cr.Spec.PMM.Image,
	} {
		if !certified[image] {
			t.Errorf("%s image %s is not certified for operator %s (release_versions: %v)", what, image, OperatorVersion, certified)
		}
	}

	chrt, err := loader.Load(clusterChartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := ">=" + rv["EKS_MIN"] + ".0-0"; !strings.HasPrefix(chrt.Metadata.KubeVersion, want) {
		t.Errorf("Chart.yaml kubeVersion = %q, want %s (EKS_MIN)", chrt.Metadata.KubeVersion, want)
	}
	minorOf := func(v string) int {
		parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
		if len(parts) < 2 {
			t.Fatalf("version %q has no minor", v)
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			t.Fatalf("version %q: %v", v, err)
		}
		return n
	}
	if minor := minorOf(helmrender.KubeVersion); minor < minorOf(rv["EKS_MIN"]) || minor > minorOf(rv["EKS_MAX"]) {
		t.Errorf("tests render for Kubernetes %s, outside EKS %s..%s", helmrender.KubeVersion, rv["EKS_MIN"], rv["EKS_MAX"])
	}
}
