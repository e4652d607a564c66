package mongodb

import (
	"context"
	"testing"
)

// BenchmarkRenderAndValidate measures one check of the chart: a client-side Helm install and
// the CRD validation (schema, unknown fields, CEL) of the PerconaServerMongoDB it renders.
func BenchmarkRenderAndValidate(b *testing.B) {
	v := validators(b)["PerconaServerMongoDB"]
	for b.Loop() {
		objs := mustRenderObjects(b, requiredValues())
		for _, o := range objectsOfKind(objs, "PerconaServerMongoDB") {
			if errs := v.Validate(context.Background(), o); len(errs) > 0 {
				b.Fatal(errs)
			}
		}
	}
}

// BenchmarkLoadCRDs measures parsing the operator's 1.3 MB CRD file into validators.
func BenchmarkLoadCRDs(b *testing.B) {
	path, err := OperatorCRDPath(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := LoadCRDs(path); err != nil {
			b.Fatal(err)
		}
	}
}
