package mongodb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// The Percona Operator for MongoDB release deploy/mongodb is written for. OperatorSum is the
// module's go.sum hash: the download is checked against it, because the checksum database
// reachable from the build machines does not list this module.
//
// OperatorChartVersion is the psmdb-operator Helm chart that installs that release: Percona's
// chart versions run ahead of the operator's (percona-helm-charts charts/psmdb-operator/Chart.yaml:
// chart 1.21.1 has appVersion 1.21.0, chart 1.21.2 has appVersion 1.21.1, chart 1.21.3 has 1.21.2),
// so the chart is pinned by the appVersion it ships, never by equal numbers.
const (
	OperatorModule       = "github.com/percona/percona-server-mongodb-operator"
	OperatorVersion      = "v1.21.1"
	OperatorSum          = "h1:ven97PFWl28Ot0pgFQ82x0nyjuuueFrQRbGI+cFb7E4="
	OperatorChartVersion = "1.21.2"
)

// operatorChartAppVersions maps psmdb-operator chart versions to the operator release they
// install (appVersion of each chart's Chart.yaml, read from percona-helm-charts).
var operatorChartAppVersions = map[string]string{"1.21.0": "1.21.0", "1.21.1": "1.21.0", "1.21.2": "1.21.1", "1.21.3": "1.21.2"}

// OperatorCRDPath returns the path of deploy/crd.yaml inside the pinned operator module,
// running `go mod download` (outside any workspace) when the module cache lacks it.
func OperatorCRDPath(ctx context.Context) (string, error) {
	dir, err := downloadModule(ctx, OperatorModule, OperatorVersion, OperatorSum)
	return filepath.Join(dir, "deploy", "crd.yaml"), err
}

// downloadModule returns the module cache directory of module@version after checking its
// hash against sum; with sum "" the checksum database checks it instead.
func downloadModule(ctx context.Context, module, version, sum string) (string, error) {
	tmp, err := os.MkdirTemp("", "psmdb-download")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = tmp // no go.mod here: the download never touches platform/go.mod
	cmd.Env = append(os.Environ(), "GOWORK=off", "GO111MODULE=on", "GOFLAGS=-mod=mod")
	if sum != "" {
		cmd.Env = append(cmd.Env, "GONOSUMDB="+module) // verified against sum below instead
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var info struct{ Dir, Sum, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v: %s", module, version, runErr, stderr.String())
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	if sum != "" && info.Sum != sum {
		return "", fmt.Errorf("%s@%s has hash %s, want %s", module, version, info.Sum, sum)
	}
	return info.Dir, nil
}

// Validator checks custom resources of one kind the way the API server does on create: the
// CRD's OpenAPI v3 schema, unknown fields (kubectl's default strict field validation) and the
// x-kubernetes-validations CEL rules.
type Validator struct {
	GVK        schema.GroupVersionKind
	Schema     *apiextensionsv1.JSONSchemaProps // the version's OpenAPI v3 schema
	openapi    validation.SchemaValidator
	structural *structuralschema.Structural
	cel        *cel.Validator
}

// LoadCRDs reads a multi-document CRD file and returns a Validator per kind, for the version
// that is served and stored.
func LoadCRDs(path string) (map[string]*Validator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]*Validator{}
	for _, doc := range releaseutil.SplitManifests(string(data)) {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal([]byte(doc), &crd); err != nil {
			return nil, fmt.Errorf("decode CRD in %s: %w", path, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, version := range crd.Spec.Versions {
			if !version.Served || !version.Storage {
				continue
			}
			if version.Schema == nil || version.Schema.OpenAPIV3Schema == nil {
				return nil, fmt.Errorf("CRD %s version %s has no schema", crd.Name, version.Name)
			}
			internal := &apiextensions.JSONSchemaProps{}
			err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(version.Schema.OpenAPIV3Schema, internal, nil)
			var structural *structuralschema.Structural
			var openapi validation.SchemaValidator
			if err == nil {
				structural, err = structuralschema.NewStructural(internal)
			}
			if err == nil {
				openapi, _, err = validation.NewSchemaValidator(internal)
			}
			if err != nil {
				return nil, fmt.Errorf("CRD %s: schema: %w", crd.Name, err)
			}
			out[crd.Spec.Names.Kind] = &Validator{GVK: schema.GroupVersionKind{Group: crd.Spec.Group, Version: version.Name, Kind: crd.Spec.Names.Kind},
				Schema: version.Schema.OpenAPIV3Schema, openapi: openapi, structural: structural,
				cel: cel.NewValidator(structural, true, celconfig.PerCallLimit)}
		}
	}
	return out, nil
}

// Validate returns every reason the API server would refuse obj (an object decoded from
// JSON or YAML by DecodeObject). It does not modify obj.
func (v *Validator) Validate(ctx context.Context, obj map[string]any) field.ErrorList {
	var errs field.ErrorList
	if got := obj["apiVersion"]; got != v.GVK.GroupVersion().String() {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), got, "want "+v.GVK.GroupVersion().String()))
	}
	if got := obj["kind"]; got != v.GVK.Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), got, "want "+v.GVK.Kind))
	}
	errs = append(errs, validation.ValidateCustomResource(nil, obj, v.openapi)...)

	// Pruning removes what it reports: on a copy (obj holds only JSON types: DecodeObject).
	unknown := pruning.PruneWithOptions(runtime.DeepCopyJSON(obj), v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, path := range unknown {
		errs = append(errs, field.NotSupported[string](field.NewPath(path), "unknown field", nil))
	}

	if v.cel != nil { // nil when the schema has no CEL rules
		celErrs, _ := v.cel.Validate(ctx, nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return errs
}
