package terraform

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The rules here are orderstack's own; what terraform fmt/validate/test and tflint check runs in
// `make test-infra` (tools/terraform/check.sh, docs/infra.md "Checks").

const infraDir = "../../infra"

// envRoot is the one environment root; each environment is a <env>.tfvars + <env>.s3.tfbackend.
const envRoot = "envs"

var (
	environments = []string{"dev", "prod"}
	roots        = []string{"bootstrap", envRoot}
)

func loadInfra(tb testing.TB) []File {
	tb.Helper()
	files, err := Load(infraDir)
	if err != nil {
		tb.Fatalf("Load(%s): %v", infraDir, err)
	}
	if len(files) < 40 {
		tb.Fatalf("Load(%s) found %d .tf files, want the whole tree (>= 40)", infraDir, len(files))
	}
	return files
}

func noProblems(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

func TestInfraPolicies(t *testing.T) {
	files := loadInfra(t)
	for _, tc := range []struct {
		name  string
		check func() []string
	}{
		{"outputs", func() []string { return CheckOutputs(files) }},
		{"module sources", func() []string { return CheckModuleSources(files) }},
		{"helm releases", func() []string { return CheckHelmReleases(files) }},
		{"default tags", func() []string { return CheckDefaultTags(files, roots) }},
	} {
		t.Run(tc.name, func(t *testing.T) { noProblems(t, tc.check()) })
	}
}

// outputReaders finds the Terraform outputs the repository reads: `terraform output -raw NAME`,
// the scripts' `tf_output NAME` and `from_tf VAR NAME`.
var outputReaders = regexp.MustCompile(`(?:output -raw|tf_output|from_tf [A-Z_]+)\s+"?([a-z][a-z0-9_]*)`)

// TestEnvOutputsContract: the outputs CI/CD reads (docs/development.md) and every output that a
// script, workflow, Make fragment or doc reads exist in the environment root.
func TestEnvOutputsContract(t *testing.T) {
	files := loadInfra(t)
	want := map[string]string{}
	for _, o := range []string{
		"region", "cluster_name", "kubeconfig_command", "ecr_repository_url", "github_push_role_arn",
		"github_deploy_role_arn", "github_plan_role_arn", "github_apply_role_arn", "app_namespace", "alb_hostname_command",
		"mongodb_backup_bucket",
	} {
		want[o] = "docs/development.md"
	}
	var readers []string
	for _, pattern := range []string{"scripts/*.sh", "infra/scripts/*.sh", ".github/workflows/*.yml", "mk/*.mk", "docs/*.md", "deploy/*/README.md", "README.md"} {
		m, err := filepath.Glob(filepath.Join(infraDir, "..", pattern))
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, m...)
	}
	for _, path := range readers {
		if filepath.Base(path) == "resources.md" {
			continue // generated from infra/ itself
		}
		for _, line := range strings.Split(readFile(t, path), "\n") {
			if strings.Contains(line, "-chdir=infra/bootstrap") {
				continue // the bootstrap root's outputs, not an environment's
			}
			for _, m := range outputReaders.FindAllStringSubmatch(line, -1) {
				want[m[1]] = filepath.ToSlash(path)
			}
		}
	}
	// The scan must see the scripts' reads, or it checks nothing.
	for _, o := range []string{"grafana_password_command", "developers_role_arn", "alb_hostname_command"} {
		if _, ok := want[o]; !ok {
			t.Errorf("no reader of output %q found; the scan of %d files is broken", o, len(readers))
		}
	}
	have := map[string]bool{}
	for _, o := range Blocks(InDir(files, envRoot), "output", "") {
		have[o.Labels[0]] = true
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !have[name] {
			t.Errorf("%s: no output %q (read by %s)", envRoot, name, want[name])
		}
	}
}

// TestEnvBackends: each environment keeps its state in the bootstrap bucket under its own key,
// encrypted, with S3 native locking (no DynamoDB table); the root's backend block is the empty
// "s3" one those settings complete.
func TestEnvBackends(t *testing.T) {
	boot := tfvars(t, "bootstrap/terraform.tfvars")
	for _, env := range environments {
		path := envRoot + "/" + env + ".s3.tfbackend"
		be := tfvars(t, path)
		for attr, want := range map[string]cty.Value{
			"bucket":       boot["state_bucket_name"],
			"region":       boot["region"],
			"key":          cty.StringVal("orderstack/" + env + "/terraform.tfstate"),
			"encrypt":      cty.True,
			"use_lockfile": cty.True,
		} {
			if got, ok := be[attr]; !ok || !got.RawEquals(want) {
				t.Errorf("%s: %s = %#v, want %#v (bucket and region: infra/bootstrap/terraform.tfvars; scripts/deploy.sh reads the bucket here)", path, attr, got, want)
			}
		}
		if _, ok := be["dynamodb_table"]; ok {
			t.Errorf("%s: dynamodb_table is not needed with use_lockfile", path)
		}
		// The plan role's state rights come from terraform_state in <env>.tfvars: it must name
		// the state this backend file points at, or plans lose their lock and read rights.
		vars := envRoot + "/" + env + ".tfvars"
		st, ok := tfvars(t, vars)["terraform_state"]
		for _, attr := range []string{"bucket", "key"} {
			if !ok || st.IsNull() || !st.Type().IsObjectType() || !st.Type().HasAttribute(attr) || !st.GetAttr(attr).RawEquals(be[attr]) {
				t.Errorf("%s: terraform_state.%s differs from %s's %s (%#v)", vars, attr, path, attr, be[attr])
			}
		}
	}
	var backends []string
	for _, tb := range Blocks(InDir(loadInfra(t), envRoot), "terraform", "") {
		for _, b := range Child(tb.Block, "backend") {
			backends = append(backends, strings.Join(b.Labels, ","))
			if len(b.Body.Attributes) > 0 {
				t.Errorf("%s: backend block sets %d attributes; the settings belong in <env>.s3.tfbackend", tb.Where(), len(b.Body.Attributes))
			}
		}
	}
	if !slices.Equal(backends, []string{"s3"}) {
		t.Errorf("%s: backends %q, want one \"s3\"", envRoot, backends)
	}
}

func readFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// tfvars parses a variables or backend file under infra/ into constant values.
func tfvars(tb testing.TB, rel string) map[string]cty.Value {
	tb.Helper()
	path := filepath.Join(infraDir, rel)
	f, diags := hclsyntax.ParseConfig([]byte(readFile(tb, path)), path, hcl.InitialPos)
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	out := map[string]cty.Value{}
	for name, a := range f.Body.(*hclsyntax.Body).Attributes {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			tb.Fatalf("%s: %s is not a constant: %s", path, name, diags.Error())
		}
		out[name] = v
	}
	return out
}

// TestEnvTfvars: every tfvars key is a declared root variable (Terraform only warns about an
// undeclared one, so a misspelt choice would silently fall back to nothing) and nothing in it is
// named like a secret. Whether the values pass the stack's validations is `terraform test` of the
// root with each file (make test-infra).
func TestEnvTfvars(t *testing.T) {
	files := loadInfra(t)
	declared := map[string]bool{}
	for _, v := range Blocks(InDir(files, envRoot), "variable", "") {
		declared[v.Labels[0]] = true
	}
	for _, env := range environments {
		path := envRoot + "/" + env + ".tfvars"
		vals := tfvars(t, path)
		for name := range vals {
			if !declared[name] {
				t.Errorf("%s sets undeclared variable %q", path, name)
			}
			if secretName.MatchString(strings.ToLower(name)) {
				t.Errorf("%s: %s looks like a secret; secrets never go in git", path, name)
			}
		}
		if got := vals["environment"]; got.IsNull() || !got.RawEquals(cty.StringVal(env)) {
			t.Errorf("%s: environment = %#v, want %q (the file's name)", path, got, env)
		}
	}
}

// TestNodesWaitForNetworking: no node group is created before the VPC CNI, kube-proxy and the Pod
// Identity agent (a node without the CNI never becomes Ready); terraform test cannot see depends_on.
func TestNodesWaitForNetworking(t *testing.T) {
	for _, ng := range Blocks(InDir(loadInfra(t), "modules/eks"), "resource", "aws_eks_node_group") {
		dep, ok := ng.Body.Attributes["depends_on"]
		for _, want := range []string{"aws_eks_addon.vpc_cni", "aws_eks_addon.kube_proxy", "aws_eks_addon.pod_identity_agent"} {
			if !ok || !RefersTo(dep.Expr, want) {
				t.Errorf("%s: node groups do not wait for %s", ng.Where(), want)
			}
		}
	}
}

// TestPathModuleReferencesExist: every "${path.module}/..." in the tree points at something that exists
// (e.g. the local MongoDB chart of deploy/mongodb/cluster). terraform validate does not look.
func TestPathModuleReferencesExist(t *testing.T) {
	files := loadInfra(t)
	found := 0
	for _, f := range files {
		hclsyntax.VisitAll(f.Body, func(n hclsyntax.Node) hcl.Diagnostics {
			tmpl, ok := n.(*hclsyntax.TemplateExpr)
			if !ok || len(tmpl.Parts) < 2 {
				return nil
			}
			first, ok := tmpl.Parts[0].(*hclsyntax.ScopeTraversalExpr)
			if !ok || first.Traversal.RootName() != "path" {
				return nil
			}
			v, diags := tmpl.Parts[1].Value(nil)
			if diags.HasErrors() || !v.Type().Equals(cty.String) {
				return nil
			}
			found++
			p := filepath.Join(infraDir, f.Dir(), v.AsString())
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s:%d: %s does not exist", f.Path, tmpl.SrcRange.Start.Line, p)
			}
			if strings.HasSuffix(v.AsString(), "/deploy/mongodb/cluster") {
				if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err != nil {
					t.Errorf("%s: the MongoDB chart has no Chart.yaml: %v", p, err)
				}
			}
			return nil
		})
	}
	if found == 0 {
		t.Error("no ${path.module} paths found; the MongoDB chart path should be one")
	}
}
