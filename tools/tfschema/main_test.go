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

// block keeps what the stand-in serves of a schema document: attributes without their
// descriptions, nested blocks.
type block struct {
	Attributes map[string]map[string]any `json:"attributes"`
	BlockTypes map[string]struct {
		NestingMode string `json:"nesting_mode"`
		Block       block  `json:"block"`
	} `json:"block_types"`
}

type schemas struct {
	ProviderSchemas map[string]struct {
		Resources   map[string]struct{ Block block } `json:"resource_schemas"`
		DataSources map[string]struct{ Block block } `json:"data_source_schemas"`
		Functions   map[string]struct {
			ReturnType json.RawMessage `json:"return_type"`
		} `json:"functions"`
	} `json:"provider_schemas"`
}

func decode(t *testing.T, r *bytes.Reader) schemas {
	var s schemas
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		t.Fatal(err)
	}
	for _, p := range s.ProviderSchemas {
		for _, m := range []map[string]struct{ Block block }{p.Resources, p.DataSources} {
			for _, r := range m {
				r.Block.dropDescriptions()
			}
		}
	}
	return s
}

func (b block) dropDescriptions() {
	for _, a := range b.Attributes {
		dropDescriptions(a)
	}
	for _, bt := range b.BlockTypes {
		bt.Block.dropDescriptions()
	}
}

// dropDescriptions deletes the descriptions of an attribute and of its nested attributes.
func dropDescriptions(v any) {
	if m, ok := v.(map[string]any); ok {
		delete(m, "description")
		delete(m, "description_kind")
		for _, c := range m {
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
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if _, err := file.ReadFrom(xr); err != nil {
		t.Fatal(err)
	}
	want, got := decode(t, bytes.NewReader(file.Bytes())), decode(t, bytes.NewReader([]byte(out)))
	if n := len(want.ProviderSchemas["registry.terraform.io/hashicorp/aws"].Resources); n < 1000 {
		t.Fatalf("the schema file has %d aws resources; is it the right file?", n)
	}
	// Compared per resource, data source and function as JSON (cmp.Diff of the whole is too slow).
	differ := 0
	for p, w := range want.ProviderSchemas {
		g := got.ProviderSchemas[p]
		for kind, pair := range map[string][2]any{"resource": {w.Resources, g.Resources}, "data source": {w.DataSources, g.DataSources}, "function": {w.Functions, g.Functions}} {
			var wm, gm map[string]json.RawMessage
			for i, m := range []*map[string]json.RawMessage{&wm, &gm} {
				b, _ := json.Marshal(pair[i])
				if err := json.Unmarshal(b, m); err != nil {
					t.Fatal(err)
				}
			}
			for name := range wm {
				if wb, gb := mustCompact(t, wm[name]), mustCompact(t, gm[name]); wb != gb && differ < 5 {
					differ++
					t.Errorf("%s %s %s served through terraform differs from schemas.json.xz:\nfile:   %.600s\nserved: %.600s", p, kind, name, wb, gb)
				}
			}
			if len(gm) != len(wm) {
				t.Errorf("%s: terraform sees %d %ss, the file has %d", p, len(gm), kind, len(wm))
			}
		}
	}
}

func mustCompact(t *testing.T, b json.RawMessage) string {
	var v any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
	}
	out, _ := json.Marshal(v)
	return string(out)
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
