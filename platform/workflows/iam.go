package workflows

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

// The CI roles of each environment as Terraform makes them. LoadIAM does not read the HCL
// itself: tfrun applies infra/envs per <env>.tfvars with the pinned terraform on mocked
// providers (targets: module.stack.module.iam_github, the cluster, ...), and LoadIAM reads the
// roles, their inline policies and attachments from the state, linked by the values terraform
// gave them. Only what AWS assigns is fixed: the account, partition and region, the OIDC
// provider's ARN, the plans key's ARN, and the ECR repository's ARN (rebuilt from its name).

// Statement is one statement of an IAM policy; Effect is Allow or Deny.
type Statement struct {
	Sid, Effect        string
	Actions, Resources []string
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
	Env, Region, Repository            string // Repository: owner/name, from the trusted subjects
	Roles                              map[string]*Role
	ECRRepositoryName, ClusterName     string // e.g. orderstack-dev/orders; output cluster_name
	StateBucket, StateKey, PlansKeyARN string // from <env>.s3.tfbackend
}

// LoadIAM returns every environment's CI roles; override replaces files of the repository
// (slash path relative to root -> content) in the copy terraform reads (mutation tests).
func LoadIAM(root string, override map[string]string) (map[string]*EnvIAM, error) {
	envs, err := tfrun.Apply(root, override)
	if err != nil {
		return nil, err
	}
	out := map[string]*EnvIAM{}
	for name, env := range envs {
		e := &EnvIAM{Env: name, Region: env.TFVars["region"], StateBucket: env.Backend["bucket"], StateKey: env.Backend["key"],
			PlansKeyARN: tfrun.PlansKeyARN(env.TFVars["region"]), Roles: map[string]*Role{}}
		if e.Region == "" {
			return nil, fmt.Errorf("%s.tfvars sets no region", name)
		}
		if err := e.fromState(env.State); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = e
	}
	return out, nil
}

func str(v any) string { x, _ := v.(string); return x }

func list(v any) []string {
	if x, ok := v.(string); ok {
		return []string{x}
	}
	x, _ := v.([]any)
	out := make([]string, len(x))
	for i, e := range x {
		out[i] = str(e)
	}
	return out
}

func (e *EnvIAM) fromState(st tfrun.State) error {
	e.ClusterName = str(st.Outputs["cluster_name"])
	var iam []tfrun.Resource
	arns := map[string]string{} // mocked ECR repository ARN -> the ARN AWS would give it
	for _, r := range st.Resources {
		if r.Type == "aws_ecr_repository" {
			e.ECRRepositoryName = str(r.Values["name"])
			arns[str(r.Values["arn"])] = "arn:aws:ecr:" + e.Region + ":" + tfrun.Account + ":repository/" + e.ECRRepositoryName
		}
		if strings.HasPrefix(r.Address, tfrun.IAMModule+".") {
			iam = append(iam, r)
		}
	}
	docs, trusts := map[string][]Statement{}, map[string][]string{} // a document's json -> its statements, its :sub subjects
	for _, r := range iam {
		if r.Mode == "data" && r.Type == "aws_iam_policy_document" {
			docs[str(r.Values["json"])], trusts[str(r.Values["json"])] = policyDocument(r.Values["statement"], arns)
		}
	}
	byID := map[string]*Role{}
	for _, r := range iam {
		if r.Mode != "managed" || r.Type != "aws_iam_role" {
			continue
		}
		doc := str(r.Values["assume_role_policy"])
		if _, ok := docs[doc]; !ok {
			return fmt.Errorf("%s: assume_role_policy is not an aws_iam_policy_document of the module", r.Address)
		}
		role := &Role{Env: e.Env, Name: r.Name, Trusts: slices.Sorted(slices.Values(trusts[doc]))}
		e.Roles[r.Name], byID[str(r.Values["id"])], byID[str(r.Values["name"])] = role, role, role
		for _, sub := range role.Trusts {
			if rest, ok := strings.CutPrefix(sub, "repo:"); ok && e.Repository == "" {
				e.Repository, _, _ = strings.Cut(rest, ":")
			}
		}
	}
	for _, r := range iam {
		role := byID[str(r.Values["role"])]
		if role == nil && strings.HasPrefix(r.Type, "aws_iam_role_policy") {
			return fmt.Errorf("%s: role is not a role of the module", r.Address)
		}
		switch r.Type {
		case "aws_iam_role_policy":
			sts, ok := docs[str(r.Values["policy"])]
			if !ok {
				return fmt.Errorf("%s: policy is not a policy document of the module", r.Address)
			}
			role.Statements = append(role.Statements, sts...)
		case "aws_iam_role_policy_attachment":
			a := str(r.Values["policy_arn"])
			role.Managed = append(role.Managed, a[strings.LastIndex(a, "/")+1:])
			slices.Sort(role.Managed)
		}
	}
	return nil
}

// policyDocument reads the statement blocks of an aws_iam_policy_document as terraform
// evaluated them, and the OIDC subjects they trust (compared with StringEquals:
// iam-github/tests/trust.tftest.hcl).
func policyDocument(v any, arns map[string]string) (sts []Statement, subs []string) {
	blocks, _ := v.([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		st := Statement{Sid: str(m["sid"]), Effect: cmp.Or(str(m["effect"]), "Allow"), Actions: list(m["actions"])} // Allow: the data source's default
		for _, r := range list(m["resources"]) {
			st.Resources = append(st.Resources, cmp.Or(arns[r], r))
		}
		conds, _ := m["condition"].([]any)
		for _, c := range conds {
			if cm, _ := c.(map[string]any); strings.HasSuffix(str(cm["variable"]), ":sub") {
				subs = append(subs, list(cm["values"])...)
			}
		}
		sts = append(sts, st)
	}
	return sts, subs
}

// managed are the AWS managed policies the CI roles may carry, as statements. ReadOnlyAccess is
// modelled by the verbs of its actions (Describe*, Get*, List*, ...): no write at all.
var managed = map[string][]Statement{
	"AdministratorAccess": {{Sid: "AdministratorAccess", Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"}}},
	"ReadOnlyAccess": {{Sid: "ReadOnlyAccess", Effect: "Allow", Resources: []string{"*"},
		Actions: []string{"*:Describe*", "*:Get*", "*:List*", "*:BatchGet*", "*:BatchCheck*", "*:Head*", "*:Search*", "*:Lookup*", "*:View*"}}},
}

// PolicyLines renders the role's permissions for the fake aws: "Effect<TAB>action<TAB>resource".
// An unknown managed policy is an error.
func (r *Role) PolicyLines() ([]string, error) {
	sts := slices.Clone(r.Statements)
	for _, m := range r.Managed {
		if managed[m] == nil {
			return nil, fmt.Errorf("role %s/%s: managed policy %s is not modelled", r.Env, r.Name, m)
		}
		sts = append(sts, managed[m]...)
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
