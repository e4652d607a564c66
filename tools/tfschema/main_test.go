package main

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests run the real terraform (TERRAFORM) against the stand-in make test-infra built from
// this package's sources (TFSCHEMA: its folder is named by their hash), set up like
// tfrun.Offline (platform/internal/tfrun), which this module (GOWORK=off) cannot import.
func terraform(t *testing.T, mainTF string, args ...string) (string, error) {
	t.Helper()
	tf, bin := os.Getenv("TERRAFORM"), os.Getenv("TFSCHEMA")
	if tf == "" || bin == "" {
		t.Fatal("TERRAFORM and TFSCHEMA are not set: run these tests through `make test-infra`, which builds both")
	}
	tmp := t.TempDir()
	rc := "provider_installation {\n  dev_overrides {\n"
	for _, p := range []string{"aws", "helm", "kubernetes", "random"} {
		if err := os.Symlink(bin, filepath.Join(tmp, "terraform-provider-"+p)); err != nil {
			t.Fatal(err)
		}
		rc += "    \"hashicorp/" + p + "\" = \"" + tmp + "\"\n"
	}
	rc += "  }\n  filesystem_mirror {\n    path    = \"" + tmp + "/none\"\n    include = [\"example.invalid/*/*\"]\n  }\n}\n"
	for name, body := range map[string]string{"terraformrc": rc, "config/main.tf": mainTF} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tmp, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(tf, append([]string{"-chdir=" + filepath.Join(tmp, "config")}, args...)...)
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(tmp, "terraformrc"), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_DATA_DIR="+filepath.Join(tmp, "data"))
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		out = append(out, ee.Stderr...)
	}
	return string(out), err
}

// schemas decodes a `terraform providers schema -json` document without descriptions (which the
// stand-in does not serve): provider -> part (provider, resource_schemas, ...) -> its JSON, per
// resource, data source and function where the part is a map of them.
func schemas(t *testing.T, b []byte) map[string]map[string]string {
	var doc struct {
		ProviderSchemas map[string]map[string]any `json:"provider_schemas"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for p, parts := range doc.ProviderSchemas {
		out[p] = map[string]string{}
		for part, v := range parts {
			dropDescriptions(v)
			entries, ok := v.(map[string]any)
			if part == "provider" || !ok {
				entries = map[string]any{"": v}
			}
			for name, e := range entries {
				j, _ := json.Marshal(e)
				out[p][part+" "+name] = string(j)
			}
		}
	}
	return out
}

// dropDescriptions deletes every description, description_kind and summary key (and with them
// attributes of those names, alike on both sides).
func dropDescriptions(v any) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "description")
		delete(v, "description_kind")
		delete(v, "summary")
		for _, c := range v {
			dropDescriptions(c)
		}
	case []any:
		for _, c := range v {
			dropDescriptions(c)
		}
	}
}

// TestServesTheSchemaOfTheFile: terraform sees exactly the resources, data sources, attributes
// (type, required, optional, computed, sensitive, ...), nested blocks and functions of the file.
func TestServesTheSchemaOfTheFile(t *testing.T) {
	out, err := terraform(t, `terraform {
  required_providers {
    aws        = { source = "hashicorp/aws" }
    helm       = { source = "hashicorp/helm" }
    kubernetes = { source = "hashicorp/kubernetes" }
    random     = { source = "hashicorp/random" }
  }
}
`, "providers", "schema", "-json")
	if err != nil {
		t.Fatalf("terraform providers schema -json: %v\n%s", err, out)
	}
	want, got := map[string]map[string]string{}, schemas(t, []byte(out))
	files, _ := fs.Glob(schemaFiles, "schemas/*.json.xz")
	for _, file := range files {
		// Each file holds the one provider it is named after: the stand-in picks it by name.
		name := strings.TrimSuffix(path.Base(file), ".json.xz")
		b, err := readSchema(name)
		if err != nil {
			t.Fatal(err)
		}
		s := schemas(t, b)
		if len(s) != 1 || s["registry.terraform.io/hashicorp/"+name] == nil {
			t.Errorf("%s holds providers %v, want only hashicorp/%s", file, slices.Sorted(maps.Keys(s)), name)
		}
		maps.Copy(want, s)
	}
	if len(got) != len(want) {
		t.Errorf("terraform sees providers %v, the files have %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	if n := len(want["registry.terraform.io/hashicorp/aws"]); n < 2000 {
		t.Fatalf("the schema file has %d aws schemas; is it the right file?", n)
	}
	differ := 0
	for p, entries := range want {
		for name, w := range entries {
			if g := got[p][name]; g != w && differ < 5 {
				differ++
				t.Errorf("%s %s served through terraform differs from schemas/*.json.xz:\nfile:   %.600s\nserved: %.600s", p, name, w, g)
			}
		}
		if len(got[p]) != len(entries) {
			t.Errorf("%s: terraform sees %d schemas and functions, the file has %d", p, len(got[p]), len(entries))
		}
	}
}

func TestProviderName(t *testing.T) {
	for argv0, want := range map[string]string{"/x/terraform-provider-aws": "aws", "terraform-provider-kubernetes_v2.38.0": "kubernetes", "tfschema": "", "terraform-provider-": ""} {
		if got, err := providerName(argv0); got != want || (want == "") != (err != nil) {
			t.Errorf("providerName(%q) = %q, %v; want %q", argv0, got, err, want)
		}
	}
}
