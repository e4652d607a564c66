package workflows

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The CI roles of each environment as Terraform makes them. LoadIAM does not read the HCL
// itself: it runs the pinned terraform (`terraform test -json -verbose`) on a copy of infra/,
// applying infra/envs once per <env>.tfvars with mocked providers (the schema stand-in
// tools/tfschema, never a registry), targeted at module.stack.module.iam_github and the
// cluster, and reads the state terraform prints: the roles, their inline policies and
// attachments, linked by the values terraform gave them. Only what AWS assigns is fixed: the
// account FakeAccount, the partition, the OIDC provider's ARN, the plans key's ARN, and the ECR
// repository's ARN (rebuilt from its name).

// FakeAccount is the account ID the mocked AWS provider answers.
const FakeAccount = "123456789012"

// ErrNoTerraform: TERRAFORM or TFSCHEMA is unset (make test-workflows sets them).
var ErrNoTerraform = errors.New("TERRAFORM and TFSCHEMA unset: run make test-workflows (it builds terraform and the schema stand-in)")

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
	Env, Region       string
	Repository        string // owner/name, from the trusted subjects
	Roles             map[string]*Role
	ECRRepositoryName string // e.g. orderstack-dev/orders
	ClusterName       string // output cluster_name
	StateBucket       string // from <env>.s3.tfbackend
	StateKey          string
	PlansKeyARN       string
	PlansKeyAlias     string // alias/<name>-ci-plans
}

const iamModule = "module.stack.module.iam_github"

// LoadIAM returns every environment's CI roles; override replaces files of the repository
// (slash path relative to root -> content) in the copy terraform reads (mutation tests).
func LoadIAM(root string, override map[string]string) (map[string]*EnvIAM, error) {
	tf, schema := os.Getenv("TERRAFORM"), os.Getenv("TFSCHEMA")
	if tf == "" || schema == "" {
		return nil, ErrNoTerraform
	}
	work, err := os.MkdirTemp("", "ci-iam-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	for _, d := range []string{"infra", "deploy"} {
		if err := copyTree(filepath.Join(root, d), filepath.Join(work, d)); err != nil {
			return nil, err
		}
	}
	for rel, content := range override {
		if err := os.WriteFile(filepath.Join(work, filepath.FromSlash(rel)), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	envsDir := filepath.Join(work, "infra", "envs")
	tfvars, _ := filepath.Glob(filepath.Join(envsDir, "*.tfvars"))
	if len(tfvars) == 0 {
		return nil, fmt.Errorf("no infra/envs/*.tfvars")
	}
	out := map[string]*EnvIAM{}
	test := mockProviders
	for _, p := range tfvars {
		env := strings.TrimSuffix(filepath.Base(p), ".tfvars")
		vars, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		lit, err := literals(p)
		if err != nil {
			return nil, err
		}
		be, err := literals(filepath.Join(envsDir, env+".s3.tfbackend"))
		if err != nil {
			return nil, err
		}
		e := &EnvIAM{Env: env, Region: lit["region"], StateBucket: be["bucket"], StateKey: be["key"], Roles: map[string]*Role{}}
		if e.Region == "" {
			return nil, fmt.Errorf("%s.tfvars sets no region", env)
		}
		e.PlansKeyARN = "arn:aws:kms:" + e.Region + ":" + FakeAccount + ":key/plans"
		out[env] = e
		test += fmt.Sprintf(runBlock, env, env, vars, e.Region, e.PlansKeyARN)
	}
	if err := os.WriteFile(filepath.Join(envsDir, "tests", "ci_iam.tftest.hcl"), []byte(test), 0o644); err != nil {
		return nil, err
	}
	// The stand-in serves every provider; a generated CLI configuration points terraform at it.
	providers := filepath.Join(work, "providers")
	rc := "provider_installation {\n  dev_overrides {\n"
	for _, p := range []string{"aws", "helm", "kubernetes", "random"} {
		if err := os.MkdirAll(providers, 0o755); err != nil {
			return nil, err
		}
		if err := os.Symlink(schema, filepath.Join(providers, "terraform-provider-"+p)); err != nil {
			return nil, err
		}
		rc += fmt.Sprintf("    %q = %q\n", "hashicorp/"+p, providers)
	}
	rc += "  }\n  filesystem_mirror {\n    path    = \"" + filepath.Join(work, "no-mirror") + "\"\n    include = [\"example.invalid/*/*\"]\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(work, "terraformrc"), []byte(rc), 0o644); err != nil {
		return nil, err
	}
	terraform := func(args ...string) *exec.Cmd {
		c := exec.Command(tf, append([]string{"-chdir=" + envsDir}, args...)...)
		c.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(work, "terraformrc"), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_INPUT=0")
		return c
	}
	if b, err := terraform("get", "-no-color").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("terraform get: %v\n%s", err, b)
	}
	stdout, err := terraform("test", "-json", "-verbose", "-no-color", "-filter=tests/ci_iam.tftest.hcl").Output()
	states, diags := map[string]tfState{}, []string{}
	r := bufio.NewReader(bytes.NewReader(stdout))
	for {
		line, rerr := r.ReadBytes('\n')
		var msg struct {
			Type       string   `json:"type"`
			Run        string   `json:"@testrun"`
			Level      string   `json:"@level"`
			Message    string   `json:"@message"`
			State      *tfState `json:"test_state"`
			Diagnostic *struct {
				Detail string `json:"detail"`
			} `json:"diagnostic"`
		}
		if len(bytes.TrimSpace(line)) > 0 && json.Unmarshal(line, &msg) == nil {
			switch {
			case msg.Type == "test_state" && msg.State != nil:
				states[msg.Run] = *msg.State
			case msg.Type == "diagnostic" && msg.Level == "error":
				diags = append(diags, msg.Message+": "+msg.Diagnostic.Detail)
			}
		}
		if rerr != nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("terraform test: %v\n%s", err, strings.Join(diags, "\n"))
	}
	for env, e := range out {
		st, ok := states[env]
		if !ok {
			return nil, fmt.Errorf("terraform test printed no state for %s", env)
		}
		if err := e.fromState(st); err != nil {
			return nil, fmt.Errorf("%s: %w", env, err)
		}
	}
	return out, nil
}

// mockProviders and runBlock make the test file: AWS answers as an account would where the
// roles read it; each environment is applied with its tfvars, in its own state.
const mockProviders = `mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "` + FakeAccount + `" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::` + FakeAccount + `:oidc-provider/token.actions.githubusercontent.com" }
  }
  mock_resource "aws_eks_cluster" {
    defaults = { certificate_authority = [{ data = "" }] }
  }
}
mock_provider "helm" {}
mock_provider "kubernetes" {}
mock_provider "random" {}
`

const runBlock = `
run %q {
  command   = apply
  state_key = %q
  variables {
%s
  }
  plan_options {
    target = [` + iamModule + `, module.stack.module.eks.aws_eks_cluster.this]
  }
  override_data {
    target = ` + iamModule + `.data.aws_region.current
    values = { region = %q }
  }
  override_resource {
    target = ` + iamModule + `.aws_kms_key.plans
    values = { arn = %q, key_id = "plans" }
  }
}
`

type tfResource struct {
	Address string         `json:"address"`
	Mode    string         `json:"mode"`
	Type    string         `json:"type"`
	Name    string         `json:"name"`
	Values  map[string]any `json:"values"`
}

type tfModule struct {
	Address   string       `json:"address"`
	Resources []tfResource `json:"resources"`
	Children  []tfModule   `json:"child_modules"`
}

type tfState struct {
	Root    tfModule `json:"root_module"`
	Outputs map[string]struct {
		Value any `json:"value"`
	} `json:"outputs"`
}

func (m tfModule) all() []tfResource {
	out := m.Resources
	for _, c := range m.Children {
		out = append(out, c.all()...)
	}
	return out
}

func str(v any) string {
	x, _ := v.(string)
	return x
}

func list(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, str(e))
		}
	case string:
		out = []string{x}
	}
	return out
}

// fromState fills e from the state terraform applied for it.
func (e *EnvIAM) fromState(st tfState) error {
	e.ClusterName = str(st.Outputs["cluster_name"].Value)
	var iam []tfResource
	arns := map[string]string{} // mocked ECR repository ARN -> the ARN AWS would give it
	for _, r := range st.Root.all() {
		if r.Type == "aws_ecr_repository" {
			e.ECRRepositoryName = str(r.Values["name"])
			arns[str(r.Values["arn"])] = "arn:aws:ecr:" + e.Region + ":" + FakeAccount + ":repository/" + e.ECRRepositoryName
		}
		if strings.HasPrefix(r.Address, iamModule+".") {
			iam = append(iam, r)
		}
	}
	docs := map[string][]Statement{} // a document's json -> its statements
	trusts := map[string][]string{}  // and its :sub subjects
	for _, r := range iam {
		if r.Mode != "data" || r.Type != "aws_iam_policy_document" {
			continue
		}
		sts, subs, err := policyDocument(r.Values["statement"], arns)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Address, err)
		}
		docs[str(r.Values["json"])], trusts[str(r.Values["json"])] = sts, subs
	}
	byID := map[string]*Role{}
	for _, r := range iam {
		switch {
		case r.Mode == "managed" && r.Type == "aws_iam_role":
			doc := str(r.Values["assume_role_policy"])
			if _, ok := docs[doc]; !ok {
				return fmt.Errorf("%s: assume_role_policy is not an aws_iam_policy_document of the module", r.Address)
			}
			subs := append([]string(nil), trusts[doc]...)
			sort.Strings(subs)
			role := &Role{Env: e.Env, Name: r.Name, Trusts: subs}
			e.Roles[r.Name], byID[str(r.Values["id"])], byID[str(r.Values["name"])] = role, role, role
			for _, sub := range subs {
				if rest, ok := strings.CutPrefix(sub, "repo:"); ok && e.Repository == "" {
					e.Repository, _, _ = strings.Cut(rest, ":")
				}
			}
		case r.Type == "aws_kms_alias" && r.Name == "plans":
			e.PlansKeyAlias = str(r.Values["name"])
		}
	}
	for _, r := range iam {
		role := byID[str(r.Values["role"])]
		switch r.Type {
		case "aws_iam_role_policy":
			sts, ok := docs[str(r.Values["policy"])]
			if role == nil || !ok {
				return fmt.Errorf("%s: not a policy document of the module on a role of the module", r.Address)
			}
			role.Statements = append(role.Statements, sts...)
		case "aws_iam_role_policy_attachment":
			if role == nil {
				return fmt.Errorf("%s: role is not a role of the module", r.Address)
			}
			a := str(r.Values["policy_arn"])
			role.Managed = append(role.Managed, a[strings.LastIndex(a, "/")+1:])
			sort.Strings(role.Managed)
		}
	}
	return nil
}

// policyDocument reads the statement blocks of an aws_iam_policy_document as terraform
// evaluated them, and the OIDC subjects they trust (which must be compared with StringEquals).
func policyDocument(v any, arns map[string]string) (sts []Statement, subs []string, err error) {
	blocks, _ := v.([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		st := Statement{Sid: str(m["sid"]), Effect: str(m["effect"]), Actions: list(m["actions"])}
		if st.Effect == "" {
			st.Effect = "Allow" // the data source's default
		}
		for _, r := range list(m["resources"]) {
			if a, ok := arns[r]; ok {
				r = a
			}
			st.Resources = append(st.Resources, r)
		}
		conds, _ := m["condition"].([]any)
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			if !strings.HasSuffix(str(cm["variable"]), ":sub") {
				continue
			}
			if str(cm["test"]) != "StringEquals" {
				return nil, nil, fmt.Errorf("sub condition with %s, want StringEquals", str(cm["test"]))
			}
			subs = append(subs, list(cm["values"])...)
		}
		sts = append(sts, st)
	}
	return sts, subs, nil
}

// literals reads a .tfvars or .tfbackend file, which holds only literal values.
func literals(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(b, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	out := map[string]string{}
	for name, a := range f.Body.(*hclsyntax.Body).Attributes {
		if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type().FriendlyName() == "string" && !v.IsNull() {
			out[name] = v.AsString()
		}
	}
	return out, nil
}

// copyTree copies src to dst without terraform's working files.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		name := d.Name()
		if name == ".terraform" || name == ".terraform.lock.hcl" || strings.Contains(name, ".tfstate") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
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
