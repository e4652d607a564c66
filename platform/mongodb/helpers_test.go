package mongodb

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"github.com/orderstack/orderstack/platform/internal/repo"
	"sigs.k8s.io/yaml"
)

func clusterChartDir(tb testing.TB) string {
	return filepath.Join(repo.Root(tb), "deploy", "mongodb", "cluster")
}

// requiredValues are the inputs Terraform passes to the cluster chart.
func requiredValues() map[string]any {
	return map[string]any{
		"backupBucket": "orderstack-dev-mongodb-backups",
		"backupRegion": "eu-west-1",
	}
}

// render installs the cluster chart client-side (what Terraform's helm_release does, minus the
// API server) into namespace mongodb with the given values, and returns the manifest.
func render(tb testing.TB, values map[string]any) (string, error) {
	tb.Helper()
	rel, err := helmrender.Render(clusterChartDir(tb), helmrender.Options{Release: "orders-mongodb", Namespace: "mongodb", Values: values})
	if err != nil {
		return "", err
	}
	hooks := ""
	for _, h := range rel.Hooks {
		hooks += "---\n" + h.Manifest + "\n"
	}
	renderedHooks[tb.Name()] = hooks
	return rel.Manifest, nil
}

// renderedHooks holds the hook manifests of each test's last render (tests here are sequential).
var renderedHooks = map[string]string{}

// renderedHookObjects decodes the hooks of the test's last render.
func renderedHookObjects(tb testing.TB) []map[string]any {
	tb.Helper()
	objs, err := DecodeManifests([]byte(renderedHooks[tb.Name()]))
	if err != nil {
		tb.Fatal(err)
	}
	return objs
}

// mustRenderObjects renders the chart and decodes every object, failing the test on error.
func mustRenderObjects(tb testing.TB, values map[string]any) []map[string]any {
	tb.Helper()
	manifest, err := render(tb, values)
	if err != nil {
		tb.Fatalf("render cluster chart: %v", err)
	}
	objs, err := DecodeManifests([]byte(manifest))
	if err != nil {
		tb.Fatalf("decode rendered manifest: %v", err)
	}
	return objs
}

// objectsOfKind returns the rendered objects of one kind.
func objectsOfKind(objs []map[string]any, kind string) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		if o["kind"] == kind {
			out = append(out, o)
		}
	}
	return out
}

// convert re-decodes a JSON-shaped value into a typed struct; unknown fields are an error, so
// a typo in a template can't hide behind a type that ignores it.
func convert(tb testing.TB, in any, out any) {
	tb.Helper()
	data, err := yaml.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, out); err != nil {
		tb.Fatalf("decode %T: %v", out, err)
	}
}

var (
	crdOnce       sync.Once
	crdValidators map[string]*Validator
	crdErr        error
)

// validators returns the operator's CRD validators by kind, downloading the operator module
// on first use if the module cache lacks it.
func validators(tb testing.TB) map[string]*Validator {
	tb.Helper()
	crdOnce.Do(func() {
		path, err := OperatorCRDPath(context.Background())
		if err != nil {
			crdErr = err
			return
		}
		crdValidators, crdErr = LoadCRDs(path)
	})
	if crdErr != nil {
		tb.Fatalf("load Percona CRDs: %v", crdErr)
	}
	return crdValidators
}

// mustValidate fails the test with every reason the API server would refuse obj.
func mustValidate(tb testing.TB, obj map[string]any) {
	tb.Helper()
	kind, _ := obj["kind"].(string)
	v, ok := validators(tb)[kind]
	if !ok {
		tb.Fatalf("no CRD for kind %q", kind)
	}
	if errs := v.Validate(context.Background(), obj); len(errs) > 0 {
		var b strings.Builder
		for _, e := range errs {
			b.WriteString("\n  " + e.Error())
		}
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		tb.Fatalf("%s %q is invalid:%s", kind, name, b.String())
	}
}

// view decodes the parts of a JSON-shaped value that a test reads into a partial struct;
// fields it doesn't declare are ignored (the CRD validation covers them).
func view(tb testing.TB, in any, out any) {
	tb.Helper()
	data, err := yaml.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.Unmarshal(data, out); err != nil {
		tb.Fatalf("decode %T: %v", out, err)
	}
}
