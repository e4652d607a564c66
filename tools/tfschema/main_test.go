package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
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
	var out bytes.Buffer
	for _, a := range [][]string{{"get", "-no-color"}, args} {
		out.Reset()
		cmd := exec.Command(tf, append([]string{"-chdir=" + filepath.Join(tmp, "config")}, a...)...)
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(tmp, "terraformrc"), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_DATA_DIR="+filepath.Join(tmp, "data"))
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return out.String(), err
		}
	}
	return out.String(), nil
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
	xr, err := xz.NewReader(bytes.NewReader(schemasXZ))
	var file bytes.Buffer
	if err == nil {
		_, err = file.ReadFrom(xr)
	}
	if err != nil {
		t.Fatal(err)
	}
	want, got := schemas(t, file.Bytes()), schemas(t, []byte(out))
	if n := len(want["registry.terraform.io/hashicorp/aws"]); n < 2000 {
		t.Fatalf("the schema file has %d aws schemas; is it the right file?", n)
	}
	differ := 0
	for p, entries := range want {
		for name, w := range entries {
			if g := got[p][name]; g != w && differ < 5 {
				differ++
				t.Errorf("%s %s served through terraform differs from schemas.json.xz:\nfile:   %.600s\nserved: %.600s", p, name, w, g)
			}
		}
		if len(got[p]) != len(entries) {
			t.Errorf("%s: terraform sees %d schemas and functions, the file has %d", p, len(got[p]), len(entries))
		}
	}
}

// TestValidateCatchesSchemaErrors: a valid configuration passes terraform validate, and one with
// a schema error of each kind fails with every one of them named (validate reports them all).
func TestValidateCatchesSchemaErrors(t *testing.T) {
	const config = "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n" + `resource "aws_vpc" "x" {
  cidr_block         = "10.0.0.0/16"
  enable_dns_support = true
}
`
	if out, err := terraform(t, config, "validate", "-no-color"); err != nil {
		t.Fatalf("terraform validate of a valid configuration: %v\n%s", err, out)
	}
	invalid := map[string]string{
		`An argument named "cidr_blok" is not expected here`:                   `resource "aws_vpc" "a" { cidr_blok = "10.0.0.0/16" }`,
		`Inappropriate value for attribute "enable_dns_support"`:               `resource "aws_vpc" "b" { enable_dns_support = ["yes"] }`,
		`The argument "policy" is required`:                                    `resource "aws_ecr_lifecycle_policy" "c" { repository = "orders" }`,
		`The provider hashicorp/aws does not support resource type "aws_vpcc"`: `resource "aws_vpcc" "d" {}`,
		`An argument named "scan_on_pushh" is not expected here`:               "resource \"aws_ecr_repository\" \"e\" {\n  image_scanning_configuration {\n    scan_on_pushh = true\n  }\n}",
		`Unsupported block type`:                                               "resource \"aws_vpc\" \"f\" {\n  tags_block {}\n}",
		`Too many image_scanning_configuration blocks`:                         "resource \"aws_ecr_repository\" \"h\" {\n  name = \"x\"\n  image_scanning_configuration {}\n  image_scanning_configuration {}\n}",
	}
	all := config
	for _, r := range invalid {
		all += r + "\n"
	}
	out, err := terraform(t, all, "validate", "-no-color")
	if err == nil {
		t.Fatalf("terraform validate passed, want a failure:\n%s", out)
	}
	for msg := range invalid {
		if !strings.Contains(out, msg) {
			t.Errorf("terraform validate failed without %q:\n%s", msg, out)
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
