package mongodb

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/releaseutil"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

func clusterChartDir(tb testing.TB) string {
	return filepath.Join(repo.Root(tb), "deploy", "mongodb", "cluster")
}

// requiredValues are the inputs Terraform passes to the cluster chart, plus extra.
func requiredValues(extra map[string]any) map[string]any {
	v := map[string]any{"backupBucket": "orderstack-dev-mongodb-backups", "backupRegion": "eu-west-1"}
	maps.Copy(v, extra)
	return v
}

// render installs the cluster chart client-side (what Terraform's helm_release does, minus the
// API server) into namespace mongodb and returns the manifest, hooks included.
func render(tb testing.TB, values map[string]any) string {
	tb.Helper()
	rel, err := helmrender.Render(clusterChartDir(tb), helmrender.Options{Release: "orders-mongodb", Namespace: "mongodb", Values: values})
	if err != nil {
		tb.Fatalf("render cluster chart: %v", err)
	}
	out := rel.Manifest
	for _, h := range rel.Hooks {
		out += "\n---\n" + h.Manifest
	}
	return out
}

// renderObjects renders the chart with the required values plus extra and decodes every object.
func renderObjects(tb testing.TB, extra map[string]any) []map[string]any {
	tb.Helper()
	var objs []map[string]any
	for _, doc := range releaseutil.SplitManifests(render(tb, requiredValues(extra))) {
		if obj := repo.Must[map[string]any](tb)(DecodeObject([]byte(doc))); len(obj) > 0 {
			objs = append(objs, obj)
		}
	}
	return objs
}

// ofKind returns the only object of a kind, failing unless there is exactly one.
func ofKind(tb testing.TB, objs []map[string]any, kind string) map[string]any {
	tb.Helper()
	same := func(o map[string]any) bool { return o["kind"] == kind }
	i := slices.IndexFunc(objs, same)
	if i < 0 || slices.ContainsFunc(objs[i+1:], same) {
		tb.Fatalf("rendered not exactly one %s object", kind)
	}
	return objs[i]
}

// at returns the value at a dotted path ("spec.replsets.0.size") of a decoded object, nil if absent.
func at(v any, path string) any {
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

var validators = sync.OnceValues(func() (map[string]*Validator, error) {
	path, err := OperatorCRDPath(context.Background())
	if err != nil {
		return nil, err
	}
	return LoadCRDs(path)
})

// crds returns the pinned operator's CRD validators by kind, downloading the operator module on
// first use if the module cache lacks it.
func crds(tb testing.TB) map[string]*Validator {
	return repo.Must[map[string]*Validator](tb)(validators())
}

// mustValidate fails the test with every reason the API server would refuse obj.
func mustValidate(tb testing.TB, obj map[string]any) {
	tb.Helper()
	v, ok := crds(tb)[obj["kind"].(string)]
	if !ok {
		tb.Fatalf("no CRD for kind %v", obj["kind"])
	}
	if errs := v.Validate(context.Background(), obj); len(errs) > 0 {
		tb.Fatalf("%v %v is invalid: %v", obj["kind"], at(obj, "metadata.name"), errs.ToAggregate())
	}
}

// repoFile reads a file of the repository (slash path).
func repoFile(tb testing.TB, rel string) []byte {
	return repo.Must[[]byte](tb)(os.ReadFile(filepath.Join(repo.Root(tb), filepath.FromSlash(rel))))
}

// operatorFile reads a file of the pinned operator module's source.
func operatorFile(tb testing.TB, rel string) []byte {
	crd := repo.Must[string](tb)(OperatorCRDPath(context.Background()))
	return repo.Must[[]byte](tb)(os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(crd)), filepath.FromSlash(rel))))
}
