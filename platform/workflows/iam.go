package workflows

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// The CI roles of an environment as Terraform defines them: infra/envs/<env> calls
// modules/stack, which calls modules/iam-github. LoadEnvIAM evaluates that chain with the HCL
// library (the same expressions Terraform evaluates: variables, tfvars, locals, module
// arguments, aws_iam_policy_document statements, dynamic blocks), with the few values only AWS
// knows (account, partition, the OIDC provider's ARN) fixed to placeholders. What it cannot
// evaluate is an error, never a silent guess.

// FakeAccount is the account ID LoadEnvIAM puts where Terraform would read the caller's.
const FakeAccount = "123456789012"

// Statement is one statement of an IAM policy.
type Statement struct {
	Sid       string
	Effect    string // Allow or Deny
	Actions   []string
	Resources []string
}

// Role is one CI role of an environment.
type Role struct {
	Env, Name  string   // e.g. "prod", "deploy" (the aws_iam_role's name in modules/iam-github)
	Trusts     []string // OIDC subjects of sts:AssumeRoleWithWebIdentity, sorted
	Managed    []string // managed policy names (ReadOnlyAccess, AdministratorAccess)
	Statements []Statement
}

// EnvIAM is what an environment's Terraform defines for CI.
type EnvIAM struct {
	Env        string
	Region     string
	Repository string // owner/name
	Roles      map[string]*Role
	// Values the scripts and workflows need to name resources.
	ECRRepositoryName string // e.g. orderstack-dev/orders
	ClusterName       string
	StateBucket       string // from the root's backend.tf
	StateKey          string
	PlansKeyARN       string // placeholder ARN of aws_kms_key.plans
	PlansKeyAlias     string // alias/<name>-ci-plans
}

// Sources reads repository files, with in-memory replacements (mutation tests).
type Sources struct {
	Root     string
	Override map[string]string // slash path relative to Root -> content
}

func (s Sources) read(rel string) ([]byte, error) {
	if c, ok := s.Override[rel]; ok {
		return []byte(c), nil
	}
	return os.ReadFile(filepath.Join(s.Root, filepath.FromSlash(rel)))
}

// module is the parsed .tf files of one directory.
type module struct {
	dir    string
	bodies []*hclsyntax.Body
}

func (s Sources) module(dir string) (*module, error) {
	paths, err := filepath.Glob(filepath.Join(s.Root, filepath.FromSlash(dir), "*.tf"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .tf files in %s", dir)
	}
	sort.Strings(paths)
	m := &module{dir: dir}
	for _, p := range paths {
		rel := dir + "/" + filepath.Base(p)
		src, err := s.read(rel)
		if err != nil {
			return nil, err
		}
		f, diags := hclsyntax.ParseConfig(src, rel, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parse %s: %s", rel, diags.Error())
		}
		m.bodies = append(m.bodies, f.Body.(*hclsyntax.Body))
	}
	return m, nil
}

func (m *module) blocks(typ string, labels ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range m.bodies {
		for _, bl := range b.Blocks {
			if bl.Type != typ || len(bl.Labels) < len(labels) {
				continue
			}
			match := true
			for i, l := range labels {
				match = match && bl.Labels[i] == l
			}
			if match {
				out = append(out, bl)
			}
		}
	}
	return out
}

func (m *module) block(typ string, labels ...string) (*hclsyntax.Block, error) {
	bs := m.blocks(typ, labels...)
	if len(bs) != 1 {
		return nil, fmt.Errorf("%s: %d %s %s blocks, want 1", m.dir, len(bs), typ, strings.Join(labels, "."))
	}
	return bs[0], nil
}

// functions are the Terraform functions the evaluated expressions may call (go-cty's stdlib).
var functions = map[string]function.Function{
	"concat": stdlib.ConcatFunc, "merge": stdlib.MergeFunc, "compact": stdlib.CompactFunc,
	"contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc, "flatten": stdlib.FlattenFunc,
	"format": stdlib.FormatFunc, "join": stdlib.JoinFunc, "length": stdlib.LengthFunc,
	"lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc, "coalesce": stdlib.CoalesceFunc,
	"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
}

// inputs evaluates a module's variables: the given values over the declared defaults. A
// variable without default and without value is an error.
func (m *module) inputs(given map[string]cty.Value) (map[string]cty.Value, error) {
	out := map[string]cty.Value{}
	for _, v := range m.blocks("variable") {
		name := v.Labels[0]
		if val, ok := given[name]; ok {
			out[name] = val
			continue
		}
		def, ok := v.Body.Attributes["default"]
		if !ok {
			return nil, fmt.Errorf("%s: variable %s has no value and no default", m.dir, name)
		}
		val, diags := def.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: default of %s: %s", m.dir, name, diags.Error())
		}
		out[name] = val
	}
	return out, nil
}

// context evaluates the module's locals (in dependency order, by repetition) on top of vars
// and the extra root objects (data, module).
func (m *module) context(vars map[string]cty.Value, extra map[string]cty.Value) (*hcl.EvalContext, error) {
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}, Functions: functions}
	for k, v := range extra {
		ctx.Variables[k] = v
	}
	pending := map[string]hcl.Expression{}
	for _, l := range m.blocks("locals") {
		for name, a := range l.Body.Attributes {
			pending[name] = a.Expr
		}
	}
	locals := map[string]cty.Value{}
	for len(pending) > 0 {
		progress := false
		var lastErr string
		for name, e := range pending {
			ctx.Variables["local"] = cty.ObjectVal(locals)
			v, diags := e.Value(ctx)
			if diags.HasErrors() {
				lastErr = name + ": " + diags.Error()
				continue
			}
			locals[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			return nil, fmt.Errorf("%s: cannot evaluate local %s", m.dir, lastErr)
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return ctx, nil
}

func eval(ctx *hcl.EvalContext, body *hclsyntax.Body, name string) (cty.Value, error) {
	a, ok := body.Attributes[name]
	if !ok {
		return cty.NilVal, fmt.Errorf("no attribute %s", name)
	}
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("%s: %s", name, diags.Error())
	}
	return v, nil
}

// args evaluates the arguments of a module call (everything but source, providers, depends_on).
func args(ctx *hcl.EvalContext, call *hclsyntax.Block) (map[string]cty.Value, error) {
	out := map[string]cty.Value{}
	for name, a := range call.Body.Attributes {
		switch name {
		case "source", "providers", "depends_on", "count", "for_each":
			continue
		}
		v, diags := a.Expr.Value(ctx)
		if diags.HasErrors() {
			continue // depends on something only Terraform knows (another module's computed output)
		}
		out[name] = v
	}
	return out, nil
}

func strings_(v cty.Value) ([]string, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.CanIterateElements() {
		return nil, fmt.Errorf("not a list: %s", v.Type().FriendlyName())
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, fmt.Errorf("element is not a string")
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

func str(v cty.Value) string {
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// Layout names where an environment's Terraform lives: a root per environment
// (infra/envs/<env>/{*.tf,terraform.tfvars,backend.tf}) or one root with per-environment files
// (infra/envs/{*.tf,<env>.tfvars,<env>.s3.tfbackend}).
type Layout struct {
	Root, TFVars, Backend string // slash paths relative to the repository
	BackendFile           bool   // Backend is a -backend-config file, not a backend block
}

// EnvLayout finds env's layout.
func (s Sources) EnvLayout(env string) Layout {
	if _, err := s.read("infra/envs/" + env + ".tfvars"); err == nil {
		return Layout{"infra/envs", "infra/envs/" + env + ".tfvars", "infra/envs/" + env + ".s3.tfbackend", true}
	}
	d := "infra/envs/" + env
	return Layout{d, d + "/terraform.tfvars", d + "/backend.tf", false}
}

// Environments lists the environments of either layout, sorted.
func (s Sources) Environments() ([]string, error) {
	var envs []string
	dirs, err := filepath.Glob(filepath.Join(s.Root, "infra", "envs", "*", "main.tf"))
	if err != nil {
		return nil, err
	}
	for _, p := range dirs {
		envs = append(envs, filepath.Base(filepath.Dir(p)))
	}
	files, err := filepath.Glob(filepath.Join(s.Root, "infra", "envs", "*.tfvars"))
	if err != nil {
		return nil, err
	}
	for _, p := range files {
		envs = append(envs, strings.TrimSuffix(filepath.Base(p), ".tfvars"))
	}
	sort.Strings(envs)
	if len(envs) == 0 {
		return nil, fmt.Errorf("no environments under infra/envs")
	}
	return envs, nil
}

// LoadEnvIAM evaluates the environment's root → modules/stack → modules/iam-github.
func LoadEnvIAM(src Sources, env string) (*EnvIAM, error) {
	lay := src.EnvLayout(env)
	root, err := src.module(lay.Root)
	if err != nil {
		return nil, err
	}
	tfvars, err := src.tfvars(lay.TFVars)
	if err != nil {
		return nil, err
	}
	rootVars, err := root.inputs(tfvars)
	if err != nil {
		return nil, err
	}
	rootCtx, err := root.context(rootVars, nil)
	if err != nil {
		return nil, err
	}
	stackCall, err := root.block("module", "stack")
	if err != nil {
		return nil, err
	}
	stackArgs, err := args(rootCtx, stackCall)
	if err != nil {
		return nil, err
	}
	stack, err := src.module(path.Clean(lay.Root + "/" + stackSource(stackCall)))
	if err != nil {
		return nil, err
	}
	stackVars, err := stack.inputs(stackArgs)
	if err != nil {
		return nil, err
	}
	data := cty.ObjectVal(map[string]cty.Value{
		"aws_caller_identity": cty.ObjectVal(map[string]cty.Value{"current": cty.ObjectVal(map[string]cty.Value{"account_id": cty.StringVal(FakeAccount)})}),
		"aws_partition":       cty.ObjectVal(map[string]cty.Value{"current": cty.ObjectVal(map[string]cty.Value{"partition": cty.StringVal("aws")})}),
		"aws_region":          cty.ObjectVal(map[string]cty.Value{"current": cty.ObjectVal(map[string]cty.Value{"region": stackVars["region"]})}),
		"aws_iam_openid_connect_provider": cty.ObjectVal(map[string]cty.Value{"github": cty.ObjectVal(map[string]cty.Value{
			"arn": cty.StringVal("arn:aws:iam::" + FakeAccount + ":oidc-provider/token.actions.githubusercontent.com")})}),
	})
	stackCtx, err := stack.context(stackVars, map[string]cty.Value{"data": data})
	if err != nil {
		return nil, err
	}
	// The registry module's repository ARN, from the name the stack gives it.
	ecrCall, err := stack.block("module", "ecr")
	if err != nil {
		return nil, err
	}
	ecrName, err := eval(stackCtx, ecrCall.Body, "repository_name")
	if err != nil {
		return nil, fmt.Errorf("modules/stack module ecr: %w", err)
	}
	region := str(stackVars["region"])
	repoARN := "arn:aws:ecr:" + region + ":" + FakeAccount + ":repository/" + str(ecrName)
	stackCtx.Variables["module"] = cty.ObjectVal(map[string]cty.Value{
		"ecr": cty.ObjectVal(map[string]cty.Value{"repository_arn": cty.StringVal(repoARN)}),
	})
	iamCall, err := stack.block("module", "iam_github")
	if err != nil {
		return nil, err
	}
	iamArgs, err := args(stackCtx, iamCall)
	if err != nil {
		return nil, err
	}
	iam, err := src.module("infra/modules/iam-github")
	if err != nil {
		return nil, err
	}
	iamVars, err := iam.inputs(iamArgs)
	if err != nil {
		return nil, fmt.Errorf("modules/stack → iam-github: %w", err)
	}
	// Attributes only AWS assigns, as placeholders: the KMS key of the saved plans.
	keyARN := "arn:aws:kms:" + region + ":" + FakeAccount + ":key/plans"
	iamCtx, err := iam.context(iamVars, map[string]cty.Value{"data": data,
		"aws_kms_key": cty.ObjectVal(map[string]cty.Value{"plans": cty.ObjectVal(map[string]cty.Value{"arn": cty.StringVal(keyARN)})})})
	if err != nil {
		return nil, err
	}
	out := &EnvIAM{
		Env: env, Region: region, Repository: str(iamVars["github_repository"]),
		ECRRepositoryName: str(ecrName), ClusterName: str(iamVars["cluster_name"]),
		Roles: map[string]*Role{}, PlansKeyARN: keyARN,
	}
	if alias, err := iam.block("resource", "aws_kms_alias", "plans"); err == nil {
		v, err := eval(iamCtx, alias.Body, "name")
		if err != nil {
			return nil, err
		}
		out.PlansKeyAlias = str(v)
	}
	if lay.BackendFile {
		vals, err := src.tfvars(lay.Backend)
		if err != nil {
			return nil, err
		}
		out.StateBucket, out.StateKey = str(vals["bucket"]), str(vals["key"])
	} else if out.StateBucket, out.StateKey, err = src.backend(lay.Backend); err != nil {
		return nil, err
	}
	if err := iam.roles(iamCtx, env, out.Roles); err != nil {
		return nil, err
	}
	return out, nil
}

// stackSource is the source of module "stack", relative to its root.
func stackSource(call *hclsyntax.Block) string {
	v, err := eval(nil, call.Body, "source")
	if err != nil {
		return "../modules/stack"
	}
	return str(v)
}

func (s Sources) tfvars(rel string) (map[string]cty.Value, error) {
	b, err := s.read(rel)
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(b, rel, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse %s: %s", rel, diags.Error())
	}
	out := map[string]cty.Value{}
	for name, a := range f.Body.(*hclsyntax.Body).Attributes {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %s: %s", rel, name, diags.Error())
		}
		out[name] = v
	}
	return out, nil
}

// backend reads bucket and key of a root's backend "s3" block.
func (s Sources) backend(rel string) (bucket, key string, err error) {
	b, err := s.read(rel)
	if err != nil {
		return "", "", err
	}
	f, diags := hclsyntax.ParseConfig(b, rel, hcl.InitialPos)
	if diags.HasErrors() {
		return "", "", fmt.Errorf("parse %s: %s", rel, diags.Error())
	}
	for _, tf := range f.Body.(*hclsyntax.Body).Blocks {
		for _, be := range tf.Body.Blocks {
			if tf.Type != "terraform" || be.Type != "backend" {
				continue
			}
			bv, err1 := eval(nil, be.Body, "bucket")
			kv, err2 := eval(nil, be.Body, "key")
			if err1 != nil || err2 != nil {
				return "", "", fmt.Errorf("%s: backend without literal bucket and key", rel)
			}
			return str(bv), str(kv), nil
		}
	}
	return "", "", fmt.Errorf("%s: no backend block", rel)
}

// traversalTo returns the names of the first reference in e that starts with root, e.g.
// ["aws_iam_role", "deploy", "id"].
func traversalTo(e hclsyntax.Expression, root string) []string {
	for _, tr := range hclsyntax.Variables(e) {
		if tr.RootName() != root {
			continue
		}
		names := []string{root}
		for _, step := range tr[1:] {
			if a, ok := step.(hcl.TraverseAttr); ok {
				names = append(names, a.Name)
			}
		}
		return names
	}
	return nil
}

func count(ctx *hcl.EvalContext, b *hclsyntax.Block) (int, error) {
	if _, ok := b.Body.Attributes["count"]; !ok {
		return 1, nil
	}
	v, err := eval(ctx, b.Body, "count")
	if err != nil {
		return 0, err
	}
	bf := v.AsBigFloat()
	n, _ := bf.Int64()
	return int(n), nil
}

// roles assembles every aws_iam_role of the module with its trust and permissions.
func (m *module) roles(ctx *hcl.EvalContext, env string, out map[string]*Role) error {
	docs := map[string][]Statement{}
	for _, d := range m.blocks("data", "aws_iam_policy_document") {
		sts, err := statements(ctx, d.Body)
		if err != nil {
			return fmt.Errorf("%s: data.aws_iam_policy_document.%s: %w", m.dir, d.Labels[1], err)
		}
		docs[d.Labels[1]] = sts
	}
	trust := map[string][]string{}
	for _, d := range m.blocks("data", "aws_iam_policy_document") {
		for _, st := range d.Body.Blocks {
			if st.Type != "statement" {
				continue
			}
			for _, c := range st.Body.Blocks {
				if c.Type != "condition" {
					continue
				}
				variable, _ := eval(ctx, c.Body, "variable")
				test, _ := eval(ctx, c.Body, "test")
				if !strings.HasSuffix(str(variable), ":sub") {
					continue
				}
				if str(test) != "StringEquals" {
					return fmt.Errorf("%s: %s: sub condition with %s, want StringEquals", m.dir, d.Labels[1], str(test))
				}
				v, err := eval(ctx, c.Body, "values")
				if err != nil {
					return err
				}
				subs, err := strings_(v)
				if err != nil {
					return err
				}
				trust[d.Labels[1]] = append(trust[d.Labels[1]], subs...)
			}
		}
	}
	for _, r := range m.blocks("resource", "aws_iam_role") {
		n, err := count(ctx, r)
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		a, ok := r.Body.Attributes["assume_role_policy"]
		if !ok {
			return fmt.Errorf("aws_iam_role.%s without assume_role_policy", r.Labels[1])
		}
		doc := traversalTo(a.Expr, "data")
		if len(doc) < 3 || doc[1] != "aws_iam_policy_document" {
			return fmt.Errorf("aws_iam_role.%s: assume_role_policy is not a data.aws_iam_policy_document", r.Labels[1])
		}
		subs := append([]string(nil), trust[doc[2]]...)
		sort.Strings(subs)
		out[r.Labels[1]] = &Role{Env: env, Name: r.Labels[1], Trusts: subs}
	}
	for _, p := range m.blocks("resource", "aws_iam_role_policy") {
		if n, err := count(ctx, p); err != nil || n == 0 {
			continue
		}
		role := roleOf(p, out)
		if role == nil {
			return fmt.Errorf("aws_iam_role_policy.%s: role is not an aws_iam_role of this module", p.Labels[1])
		}
		doc := traversalTo(p.Body.Attributes["policy"].Expr, "data")
		if len(doc) < 3 {
			return fmt.Errorf("aws_iam_role_policy.%s: policy is not a data.aws_iam_policy_document", p.Labels[1])
		}
		role.Statements = append(role.Statements, docs[doc[2]]...)
	}
	for _, p := range m.blocks("resource", "aws_iam_role_policy_attachment") {
		role := roleOf(p, out)
		if role == nil {
			return fmt.Errorf("aws_iam_role_policy_attachment.%s: role is not an aws_iam_role of this module", p.Labels[1])
		}
		var arns []string
		if _, ok := p.Body.Attributes["for_each"]; ok {
			v, err := eval(ctx, p.Body, "for_each")
			if err != nil {
				return err
			}
			if arns, err = strings_(v); err != nil {
				return err
			}
		} else {
			v, err := eval(ctx, p.Body, "policy_arn")
			if err != nil {
				return err
			}
			arns = []string{str(v)}
		}
		for _, a := range arns {
			role.Managed = append(role.Managed, a[strings.LastIndex(a, "/")+1:])
		}
		sort.Strings(role.Managed)
	}
	return nil
}

func roleOf(b *hclsyntax.Block, roles map[string]*Role) *Role {
	a, ok := b.Body.Attributes["role"]
	if !ok {
		return nil
	}
	tr := traversalTo(a.Expr, "aws_iam_role")
	if len(tr) < 2 {
		return nil
	}
	return roles[tr[1]]
}

// statements evaluates the statement and dynamic "statement" blocks of a policy document.
func statements(ctx *hcl.EvalContext, body *hclsyntax.Body) ([]Statement, error) {
	var out []Statement
	one := func(ctx *hcl.EvalContext, b *hclsyntax.Body) error {
		st := Statement{Effect: "Allow"}
		if _, ok := b.Attributes["sid"]; ok {
			v, err := eval(ctx, b, "sid")
			if err != nil {
				return err
			}
			st.Sid = str(v)
		}
		if _, ok := b.Attributes["effect"]; ok {
			v, err := eval(ctx, b, "effect")
			if err != nil {
				return err
			}
			st.Effect = str(v)
		}
		for name, dst := range map[string]*[]string{"actions": &st.Actions, "resources": &st.Resources} {
			if _, ok := b.Attributes[name]; !ok {
				continue
			}
			v, err := eval(ctx, b, name)
			if err != nil {
				return err
			}
			if *dst, err = strings_(v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		out = append(out, st)
		return nil
	}
	for _, b := range body.Blocks {
		switch {
		case b.Type == "statement":
			if err := one(ctx, b.Body); err != nil {
				return nil, err
			}
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == "statement":
			each, err := eval(ctx, b.Body, "for_each")
			if err != nil {
				return nil, err
			}
			var content *hclsyntax.Body
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					content = c.Body
				}
			}
			if content == nil {
				return nil, fmt.Errorf("dynamic statement without content")
			}
			for it := each.ElementIterator(); it.Next(); {
				k, v := it.Element()
				inner := ctx.NewChild()
				inner.Variables = map[string]cty.Value{"statement": cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
				if err := one(inner, content); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// managed are the AWS managed policies the CI roles may carry, as statements. ReadOnlyAccess is
// modelled by the verbs of its actions (Describe*, Get*, List*, ...): no write at all.
var managed = map[string][]Statement{
	"AdministratorAccess": {{Sid: "AdministratorAccess", Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"}}},
	"ReadOnlyAccess": {{Sid: "ReadOnlyAccess", Effect: "Allow", Resources: []string{"*"},
		Actions: []string{"*:Describe*", "*:Get*", "*:List*", "*:BatchGet*", "*:BatchCheck*", "*:Head*", "*:Search*", "*:Lookup*", "*:View*"}}},
}

// All is the role's statements, managed policies included; an unknown managed policy is an error.
func (r *Role) All() ([]Statement, error) {
	out := append([]Statement(nil), r.Statements...)
	for _, m := range r.Managed {
		sts, ok := managed[m]
		if !ok {
			return nil, fmt.Errorf("role %s/%s: managed policy %s is not modelled", r.Env, r.Name, m)
		}
		out = append(out, sts...)
	}
	return out, nil
}

// PolicyLines renders the role's permissions for the fake aws: "Effect<TAB>action<TAB>resource".
func (r *Role) PolicyLines() ([]string, error) {
	sts, err := r.All()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range sts {
		for _, a := range s.Actions {
			for _, res := range s.Resources {
				out = append(out, s.Effect+"\t"+a+"\t"+res)
			}
		}
	}
	return out, nil
}

// Allows evaluates the role's policy like IAM: an explicit Deny wins, then any Allow.
func (r *Role) Allows(action, resource string) (bool, error) {
	sts, err := r.All()
	if err != nil {
		return false, err
	}
	allowed := false
	for _, s := range sts {
		if !anyMatch(s.Actions, action, true) || !anyMatch(s.Resources, resource, false) {
			continue
		}
		if s.Effect == "Deny" {
			return false, nil
		}
		allowed = true
	}
	return allowed, nil
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if glob(p, s, fold) {
			return true
		}
	}
	return false
}

// glob matches IAM's wildcards: * any run of characters, ? one character.
func glob(pattern, s string, fold bool) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	if fold {
		re = "(?i)" + re
	}
	return regexp.MustCompile(re).MatchString(s)
}

// readVerbs are the action verbs that change nothing in the account (read, or kms:GenerateDataKey,
// which only returns a fresh key); every other verb writes something.
var readVerbs = regexp.MustCompile(`(?i)^(Describe|Get|List|BatchGet|BatchCheck|Head|Search|Lookup|View|GenerateDataKey$)`)

// Writes lists "action on resource" for every allowed action that can change something,
// except writes to Terraform lock files (<key>.tflock), which a plan needs to take the lock.
func (r *Role) Writes() ([]string, error) {
	sts, err := r.All()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range sts {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Actions {
			verb := a[strings.Index(a, ":")+1:]
			if readVerbs.MatchString(verb) && verb != "*" {
				continue
			}
			for _, res := range s.Resources {
				if strings.HasSuffix(res, ".tflock") && !strings.Contains(res, "*") && (strings.HasPrefix(a, "s3:PutObject") || strings.HasPrefix(a, "s3:DeleteObject")) {
					continue
				}
				out = append(out, a+" on "+res)
			}
		}
	}
	return out, nil
}
