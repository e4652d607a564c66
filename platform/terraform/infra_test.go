package terraform

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const infraDir = "../../infra"

var (
	envRoots = []string{"envs/dev", "envs/prod"}
	roots    = []string{"bootstrap", "envs/dev", "envs/prod"}
)

// stackDir is the composition module every environment root calls once.
const stackDir = "modules/stack"

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

// TestPassThroughVariableIsValidatedDownstream: a root variable handed unchanged to a module
// variable that validates it needs no validation of its own.
func TestPassThroughVariableIsValidatedDownstream(t *testing.T) {
	files := parseTree(t, map[string]string{
		"r/variables.tf": "variable \"vpc_cidr\" {\n  description = \"x\"\n  type = string\n}\n",
		"r/main.tf":      "module \"m\" {\n  source = \"../m\"\n  vpc_cidr = var.vpc_cidr\n}\n",
		"m/variables.tf": "variable \"vpc_cidr\" {\n  description = \"x\"\n  type = string\n  validation {\n    condition = can(cidrhost(var.vpc_cidr, 0))\n    error_message = \"x\"\n  }\n}\n",
	})
	noProblems(t, CheckVariables(files))
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
		{"formatted", func() []string { return CheckFormatted(files) }},
		{"resource comments", func() []string { return CheckResourceComments(files) }},
		{"variables", func() []string { return CheckVariables(files) }},
		{"outputs", func() []string { return CheckOutputs(files) }},
		{"versions", func() []string { return CheckVersions(files, roots) }},
		{"module sources", func() []string { return CheckModuleSources(files) }},
		{"helm releases", func() []string { return CheckHelmReleases(files) }},
		{"backends", func() []string { return CheckBackends(files, envRoots) }},
		{"default tags", func() []string { return CheckDefaultTags(files, roots) }},
		{"ecr", func() []string { return CheckECR(files) }},
		{"eks", func() []string { return CheckEKS(files) }},
		{"nodes", func() []string { return CheckNodes(files) }},
		{"open ingress", func() []string { return CheckOpenIngress(files) }},
		{"buckets", func() []string { return CheckBuckets(files) }},
		{"github trust", func() []string { return CheckGitHubTrust(files) }},
		{"references", func() []string { return CheckReferences(files) }},
		{"env roots", func() []string { return CheckEnvRoots(files, envRoots, stackDir) }},
	} {
		t.Run(tc.name, func(t *testing.T) { noProblems(t, tc.check()) })
	}
}

// TestInfraHasTheResources asserts the stack is complete: each resource the design names exists.
func TestInfraHasTheResources(t *testing.T) {
	files := loadInfra(t)
	have := map[string]bool{}
	for _, b := range Blocks(files, "resource", "") {
		have[b.Labels[0]] = true
	}
	for _, want := range []string{
		"aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_vpc_endpoint", "aws_flow_log",
		"aws_eks_cluster", "aws_eks_node_group", "aws_launch_template", "aws_eks_addon",
		"aws_eks_access_entry", "aws_eks_access_policy_association", "aws_eks_pod_identity_association", "aws_kms_key",
		"aws_ecr_repository", "aws_ecr_lifecycle_policy", "aws_iam_openid_connect_provider",
		"aws_s3_bucket", "aws_sns_topic", "aws_cloudwatch_metric_alarm", "aws_budgets_budget",
		"helm_release", "kubernetes_storage_class_v1", "kubernetes_role_v1", "kubernetes_role_binding_v1",
		"random_password", "kubernetes_secret_v1",
	} {
		if !have[want] {
			t.Errorf("no %s resource in infra/", want)
		}
	}
	addons := map[string]bool{}
	for _, a := range Blocks(files, "resource", "aws_eks_addon") {
		n, _ := LiteralString(a.Body, "addon_name")
		addons[n] = true
		// Without the network policy agent, the charts' NetworkPolicies would be silently ignored.
		if cv, ok := a.Body.Attributes["configuration_values"]; n == "vpc-cni" && (!ok || !strings.Contains(a.File.Text(cv.Expr.Range()), `enableNetworkPolicy = "true"`)) {
			t.Errorf("%s: vpc-cni without enableNetworkPolicy = \"true\"", a.Where())
		}
	}
	for _, want := range []string{"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent", "metrics-server"} {
		if !addons[want] {
			t.Errorf("no aws_eks_addon %q", want)
		}
	}
	charts := map[string]bool{}
	for _, h := range Blocks(files, "resource", "helm_release") {
		n, _ := LiteralString(h.Body, "name")
		charts[n] = true
	}
	for _, want := range []string{"aws-load-balancer-controller", "kube-prometheus-stack", "cluster-autoscaler", "psmdb-operator", "orders-mongodb"} {
		if !charts[want] {
			t.Errorf("no helm_release named %q", want)
		}
	}
}

// outputReaders finds the Terraform outputs the repository reads: `terraform output -raw NAME`,
// the scripts' `tf_output NAME` and `from_tf VAR NAME`.
var outputReaders = regexp.MustCompile(`(?:output -raw|tf_output|from_tf [A-Z_]+)\s+"?([a-z][a-z0-9_]*)`)

// TestEnvOutputsContract: the outputs CI/CD reads (docs/development.md) and every output that a
// script, workflow, Make fragment or doc reads exist in both environment roots.
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
	for _, env := range envRoots {
		have := map[string]bool{}
		for _, o := range Blocks(InDir(files, env), "output", "") {
			have[o.Labels[0]] = true
		}
		for _, name := range slices.Sorted(maps.Keys(want)) {
			if !have[name] {
				t.Errorf("%s: no output %q (read by %s)", env, name, want[name])
			}
		}
	}
}

// TestEnvBackends: each environment keeps its state in the bootstrap bucket under its own key.
func TestEnvBackends(t *testing.T) {
	boot := tfvars(t, "bootstrap")
	for _, env := range envRoots {
		be := backendBody(t, env)
		for attr, want := range map[string]string{"bucket": boot["state_bucket_name"].AsString(), "region": boot["region"].AsString()} {
			if got, _ := LiteralString(be, attr); got != want {
				t.Errorf("%s backend %s = %q, want %q (infra/bootstrap/terraform.tfvars; scripts/deploy.sh reads it from backend.tf)", env, attr, got, want)
			}
		}
		key, _ := LiteralString(be, "key")
		if want := "orderstack/" + filepath.Base(env) + "/terraform.tfstate"; key != want {
			t.Errorf("%s backend key = %q, want %q", env, key, want)
		}
	}
}

func backendBody(t *testing.T, env string) *hclsyntax.Body {
	t.Helper()
	f, err := Parse("backend.tf", []byte(readFile(t, filepath.Join(infraDir, env, "backend.tf"))))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range f.Body.Blocks {
		for _, be := range Child(b, "backend") {
			return be.Body
		}
	}
	t.Fatalf("%s/backend.tf: no backend block", env)
	return nil
}

func readFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// tfvars parses an environment's terraform.tfvars into constant values.
func tfvars(t *testing.T, env string) map[string]cty.Value {
	t.Helper()
	path := filepath.Join(infraDir, env, "terraform.tfvars")
	f, err := Parse(path, []byte(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cty.Value{}
	for name, a := range f.Body.Attributes {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("%s: %s is not a constant: %s", path, name, diags.Error())
		}
		out[name] = v
	}
	return out
}

// stackInputs evaluates the arguments of an environment root's module "stack" call as terraform
// plan would: var.* from vals (terraform.tfvars) over the root variables' defaults.
func stackInputs(t *testing.T, files []File, env string, vals map[string]cty.Value) map[string]cty.Value {
	t.Helper()
	vars := map[string]cty.Value{}
	for _, v := range Blocks(InDir(files, env), "variable", "") {
		name := v.Labels[0]
		if x, ok := vals[name]; ok {
			vars[name] = x
		} else if d, ok := Literal(v.Body, "default"); ok {
			vars[name] = d
		} else {
			t.Fatalf("%s: required variable %q not set in terraform.tfvars", env, name)
		}
	}
	calls := Blocks(InDir(files, env), "module", "stack")
	if len(calls) != 1 {
		t.Fatalf("%s: %d module \"stack\" calls, want 1", env, len(calls))
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}}
	out := map[string]cty.Value{}
	for name, a := range calls[0].Body.Attributes {
		if moduleMeta[name] {
			continue
		}
		v, diags := a.Expr.Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("%s: module \"stack\" argument %s: %s", env, name, diags.Error())
		}
		out[name] = v
	}
	return out
}

// TestEnvTfvars: every tfvars key is a declared root variable, nothing in it looks like a secret,
// and the environment-specific choices reach the stack (one NAT in dev, one per AZ and flow logs
// in prod, prod data survives destroy).
func TestEnvTfvars(t *testing.T) {
	files := loadInfra(t)
	inputs := map[string]map[string]cty.Value{}
	for _, env := range envRoots {
		vals := tfvars(t, env)
		declared := map[string]bool{}
		for _, v := range Blocks(InDir(files, env), "variable", "") {
			declared[v.Labels[0]] = true
		}
		for name := range vals {
			if !declared[name] {
				t.Errorf("%s/terraform.tfvars sets undeclared variable %q", env, name)
			}
			if secretName.MatchString(strings.ToLower(name)) {
				t.Errorf("%s/terraform.tfvars: %s looks like a secret; secrets never go in git", env, name)
			}
		}
		inputs[env] = stackInputs(t, files, env, vals)
		if got := inputs[env]["environment"]; got.IsNull() || got.AsString() != filepath.Base(env) {
			t.Errorf("%s: environment = %#v, want %q", env, got, filepath.Base(env))
		}
	}
	for _, c := range []struct {
		env, name string
		want      bool
	}{
		{"envs/dev", "single_nat_gateway", true},
		{"envs/prod", "single_nat_gateway", false},
		{"envs/prod", "flow_logs_enabled", true},
		{"envs/prod", "allow_destroy_with_data", false},
	} {
		if v, ok := inputs[c.env][c.name]; !ok || v.IsNull() || !v.Type().Equals(cty.Bool) || v.True() != c.want {
			t.Errorf("%s: stack %s = %#v, want %v", c.env, c.name, v, c.want)
		}
	}
}

// TestPathModuleReferencesExist: every "${path.module}/..." in the tree points at something that exists
// (e.g. the local MongoDB chart of deploy/mongodb/cluster).
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

// TestRootsUseHashiCorpFileNames: each root has the conventional files; environment roots have no
// locals (they only call the stack).
func TestRootsUseHashiCorpFileNames(t *testing.T) {
	env := []string{"backend.tf", "main.tf", "outputs.tf", "providers.tf", "terraform.tf", "variables.tf"}
	for root, want := range map[string][]string{
		"bootstrap": {"backend.tf", "locals.tf", "main.tf", "outputs.tf", "providers.tf", "terraform.tf", "variables.tf"},
		"envs/dev":  env,
		"envs/prod": env,
		stackDir:    {"locals.tf", "main.tf", "outputs.tf", "terraform.tf", "variables.tf"},
	} {
		entries, err := os.ReadDir(filepath.Join(infraDir, root))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tf") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("%s .tf files (-want +got):\n%s", root, diff)
		}
	}
}

// TestModulesDocumented: docs/infra.md names every module.
func TestModulesDocumented(t *testing.T) {
	doc := readFile(t, "../../docs/infra.md")
	entries, err := os.ReadDir(filepath.Join(infraDir, "modules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.Contains(doc, "modules/"+e.Name()) {
			t.Errorf("docs/infra.md does not mention modules/%s", e.Name())
		}
	}
	for _, s := range []string{"use_lockfile", "pre-destroy.sh", "Cluster Autoscaler", "make tf-validate"} {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/infra.md does not mention %q", s)
		}
	}
}

// TestTfvarsPassValidations evaluates the variable validations as terraform plan would: the
// bootstrap root's on its terraform.tfvars, each environment root's and then the stack's on what
// the root passes it (tfvars through main.tf). A mutated value must fail.
func TestTfvarsPassValidations(t *testing.T) {
	files := loadInfra(t)
	noProblems(t, CheckValidations(files, "bootstrap", tfvars(t, "bootstrap")))
	for _, env := range envRoots {
		vals := tfvars(t, env)
		noProblems(t, CheckValidations(files, env, vals))
		noProblems(t, CheckValidations(files, stackDir, stackInputs(t, files, env, vals)))
	}
	for _, bad := range []struct {
		name  string
		value cty.Value
		want  string
	}{
		{"kubernetes_version", cty.StringVal("1.29"), `"kubernetes_version" = "1.29" fails`},
		{"public_access_cidrs", cty.TupleVal([]cty.Value{cty.StringVal("10.0.0.0/33")}), `"public_access_cidrs"`},
		{"github_repository", cty.StringVal("orderstack/*"), `"github_repository" = "orderstack/*" fails`},
		{"alarm_email", cty.StringVal("not-an-address"), `"alarm_email"`},
		{"node_max_size_per_az", cty.NumberIntVal(0), `"node_max_size_per_az"`},
		{"environment", cty.StringVal("staging"), `"environment"`},
		{"availability_zones", cty.TupleVal([]cty.Value{cty.StringVal("eu-west-1a"), cty.StringVal("eu-west-1a"), cty.StringVal("eu-west-1b")}), `"availability_zones"`},
	} {
		in := stackInputs(t, files, "envs/dev", tfvars(t, "envs/dev"))
		in[bad.name] = bad.value
		wantProblem(t, CheckValidations(files, stackDir, in), bad.want)
	}
	// A bad value in terraform.tfvars travels through main.tf into the stack's validation.
	for name, value := range map[string]cty.Value{
		"region":   cty.StringVal("Ireland"),
		"vpc_cidr": cty.StringVal("10.10.0.0/99"),
	} {
		vals := tfvars(t, "envs/prod")
		vals[name] = value
		wantProblem(t, CheckValidations(files, stackDir, stackInputs(t, files, "envs/prod", vals)), `"`+name+`"`)
	}
}
