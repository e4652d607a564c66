package terraform

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// NamespaceLabels returns the labels of resource "kubernetes_namespace_v1" NAME in module
// directory dir (relative to the loaded root, e.g. "modules/addons"), so that the e2e suite
// creates the namespaces on a real API server exactly as Terraform defines them.
func NamespaceLabels(files []File, dir, name string) (map[string]string, error) {
	for _, b := range Blocks(InDir(files, dir), "resource", "kubernetes_namespace_v1") {
		if b.Labels[1] != name {
			continue
		}
		mds := Child(b.Block, "metadata")
		if len(mds) == 0 {
			return nil, fmt.Errorf("%s: no metadata block", b.Where())
		}
		v, ok := Literal(mds[0].Body, "labels")
		if !ok {
			return nil, fmt.Errorf("%s: metadata.labels is not a constant map", b.Where())
		}
		out := map[string]string{}
		for k, e := range v.AsValueMap() {
			if e.IsNull() || !e.Type().Equals(cty.String) {
				return nil, fmt.Errorf("%s: label %s is not a string", b.Where(), k)
			}
			out[k] = e.AsString()
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: no resource kubernetes_namespace_v1.%s", dir, name)
}
