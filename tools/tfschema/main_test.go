package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ulikunitz/xz"
)

// These tests run the real Terraform (TERRAFORM, set by make test-infra) against this provider.

var providers = []string{"aws", "helm", "kubernetes", "random"}

// The provider under test, built once per test run (TestMain) from this package's sources.
var (
	bin       string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tfschema-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "tfschema")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// setup links the provider (built once) as terraform-provider-<name> for each provider, writes a
// CLI configuration with dev_overrides to those links and a main.tf, and returns the directory
// and the environment for terraform. It is tfrun.Offline (platform/internal/tfrun) for the
// provider this test builds: this module is built with GOWORK=off and cannot import platform's
// internal packages.
func setup(tb testing.TB, mainTF string) (dir string, env []string) {
	tb.Helper()
	tf := os.Getenv("TERRAFORM")
	if tf == "" {
		tb.Fatal("TERRAFORM is not set: run these tests through `make test-infra`, which builds the pinned terraform")
	}
	tmp := tb.TempDir()
	buildOnce.Do(func() {
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Env = append(os.Environ(), "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	plugins := filepath.Join(tmp, "plugins")
	if err := os.Mkdir(plugins, 0o755); err != nil {
		tb.Fatal(err)
	}
	var cfg strings.Builder
	cfg.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, p := range providers {
		if err := os.Symlink(bin, filepath.Join(plugins, "terraform-provider-"+p)); err != nil {
			tb.Fatal(err)
		}
		cfg.WriteString("    \"hashicorp/" + p + "\" = \"" + plugins + "\"\n")
	}
	cfg.WriteString("  }\n  filesystem_mirror {\n    path    = \"" + filepath.Join(tmp, "none") + "\"\n    include = [\"example.invalid/*/*\"]\n  }\n}\n")
	rc := filepath.Join(tmp, "terraformrc")
	dir = filepath.Join(tmp, "config")
	for path, body := range map[string]string{rc: cfg.String(), filepath.Join(dir, "main.tf"): mainTF} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_DATA_DIR="+filepath.Join(tmp, "data"))
	return dir, env
}

func terraform(tb testing.TB, dir string, env []string, args ...string) (string, error) {
	tb.Helper()
	cmd := exec.Command(os.Getenv("TERRAFORM"), append([]string{"-chdir=" + dir}, args...)...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

const requireAll = `terraform {
  required_providers {
    aws        = { source = "hashicorp/aws" }
    helm       = { source = "hashicorp/helm" }
    kubernetes = { source = "hashicorp/kubernetes" }
    random     = { source = "hashicorp/random" }
  }
}
`

// block is the part of a schema document that counts: attributes (and nested attributes) and
// nested blocks with their own counts.
type block struct {
	Attributes map[string]json.RawMessage `json:"attributes"`
	BlockTypes map[string]struct {
		Block block `json:"block"`
	} `json:"block_types"`
}

type schemas struct {
	ProviderSchemas map[string]struct {
		Provider    struct{ Block block }            `json:"provider"`
		Resources   map[string]struct{ Block block } `json:"resource_schemas"`
		DataSources map[string]struct{ Block block } `json:"data_source_schemas"`
		Ephemeral   map[string]struct{ Block block } `json:"ephemeral_resource_schemas"`
		Functions   map[string]json.RawMessage       `json:"functions"`
	} `json:"provider_schemas"`
}

// counts maps "provider resource_type" (and nested "... block.sub") to its attribute count.
func counts(s schemas) map[string]int {
	out := map[string]int{}
	var walk func(prefix string, b block)
	walk = func(prefix string, b block) {
		out[prefix] = len(b.Attributes)
		for name, bt := range b.BlockTypes {
			walk(prefix+"."+name, bt.Block)
		}
	}
	for p, ps := range s.ProviderSchemas {
		walk(p+" provider", ps.Provider.Block)
		for n, r := range ps.Resources {
			walk(p+" resource "+n, r.Block)
		}
		for n, r := range ps.DataSources {
			walk(p+" data "+n, r.Block)
		}
		for n, r := range ps.Ephemeral {
			walk(p+" ephemeral "+n, r.Block)
		}
		out[p+" functions"] = len(ps.Functions)
	}
	return out
}

func TestServesTheSchemaOfTheFile(t *testing.T) {
	dir, env := setup(t, requireAll)
	if out, err := terraform(t, dir, env, "get", "-no-color"); err != nil {
		t.Fatalf("terraform get: %v\n%s", err, out)
	}
	out, err := terraform(t, dir, env, "providers", "schema", "-json")
	if err != nil {
		t.Fatalf("terraform providers schema -json: %v\n%s", err, out)
	}
	var got schemas
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	xr, err := xz.NewReader(bytes.NewReader(schemasXZ))
	if err != nil {
		t.Fatal(err)
	}
	var want schemas
	if err := json.NewDecoder(xr).Decode(&want); err != nil {
		t.Fatal(err)
	}
	wantCounts, gotCounts := counts(want), counts(got)
	if len(wantCounts) < 2000 {
		t.Fatalf("the schema file has only %d schemas; is it the right file?", len(wantCounts))
	}
	if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
		t.Errorf("attribute counts served through terraform differ from schemas.json.xz (-want +got):\n%s", diff)
	}
}

// TestValidateCatchesSchemaErrors: a valid configuration passes terraform validate, and one with
// a schema error of each kind fails with every one of them named (validate reports them all at
// once, so one run covers the kinds; each resource has exactly one error).
func TestValidateCatchesSchemaErrors(t *testing.T) {
	const requireAWS = "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n"
	valid := `resource "aws_vpc" "x" {
  cidr_block         = "10.0.0.0/16"
  enable_dns_support = true
}
`
	invalid := map[string]string{
		"misspelt attribute": `resource "aws_vpc" "a" {
  cidr_blok = "10.0.0.0/16"
}`,
		"wrong type": `resource "aws_vpc" "b" {
  cidr_block         = "10.0.0.0/16"
  enable_dns_support = ["yes"]
}`,
		"missing required argument": `resource "aws_ecr_lifecycle_policy" "c" {
  repository = "orders"
}`,
		"unknown resource type": `resource "aws_vpcc" "d" {}`,
		"misspelt attribute in a nested block": `resource "aws_ecr_repository" "e" {
  name = "orders"
  image_scanning_configuration {
    scan_on_pushh = true
  }
}`,
	}
	want := map[string]string{
		"misspelt attribute":                   `An argument named "cidr_blok" is not expected here`,
		"wrong type":                           `Inappropriate value for attribute "enable_dns_support"`,
		"missing required argument":            `The argument "policy" is required`,
		"unknown resource type":                `The provider hashicorp/aws does not support resource type "aws_vpcc"`,
		"misspelt attribute in a nested block": `An argument named "scan_on_pushh" is not expected here`,
	}
	validate := func(t *testing.T, config string) (string, error) {
		t.Helper()
		dir, env := setup(t, requireAWS+config)
		if out, err := terraform(t, dir, env, "get", "-no-color"); err != nil {
			t.Fatalf("terraform get: %v\n%s", err, out)
		}
		return terraform(t, dir, env, "validate", "-no-color")
	}
	if out, err := validate(t, valid); err != nil {
		t.Fatalf("terraform validate of a valid configuration: %v\n%s", err, out)
	}
	config := valid
	for _, r := range invalid {
		config += r + "\n"
	}
	out, err := validate(t, config)
	if err == nil {
		t.Fatalf("terraform validate passed, want a failure:\n%s", out)
	}
	for kind, msg := range want {
		if !strings.Contains(out, msg) {
			t.Errorf("%s: terraform validate failed without %q:\n%s", kind, msg, out)
		}
	}
}

func TestProviderName(t *testing.T) {
	for _, tc := range []struct{ argv0, want string }{
		{"/x/terraform-provider-aws", "aws"},
		{"terraform-provider-kubernetes_v2.38.0", "kubernetes"},
		{"tfschema", ""},
		{"terraform-provider-", ""},
	} {
		got, err := providerName(tc.argv0)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("providerName(%q) = %q, %v; want %q", tc.argv0, got, err, tc.want)
		}
	}
}
