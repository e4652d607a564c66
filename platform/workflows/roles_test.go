package workflows

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	prepo "github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/orderstack/orderstack/platform/internal/tfrun"
	"github.com/rhysd/actionlint"
)

// The CI/CD trust model as data: the roles as terraform makes them (LoadIAM) against the
// jobs as the workflows define them (Runs). Each check is a function returning problems, run
// once on the real tree and once per mutation in TestTrustChecksCatchMutations, so each is
// shown to fail on the defect it is for.

type ciModel struct {
	envs  []string
	iam   map[string]*EnvIAM
	files []File
	runs  []Run
}

type iamLoad struct {
	once sync.Once
	iam  map[string]*EnvIAM
	err  error
}

var iamLoads sync.Map // override key -> *iamLoad

// loadIAM runs terraform (LoadIAM) once per distinct set of replaced files; tf holds
// replacements by path relative to the repository root.
func loadIAM(tb testing.TB, tf map[string]string) map[string]*EnvIAM {
	tb.Helper()
	root := prepo.Root(tb)
	key := ""
	for _, rel := range slices.Sorted(maps.Keys(tf)) {
		if b, err := os.ReadFile(filepath.Join(root, rel)); err != nil || string(b) != tf[rel] {
			key += rel + "\x00" + tf[rel] + "\x00"
		}
	}
	v, _ := iamLoads.LoadOrStore(key, &iamLoad{})
	l := v.(*iamLoad)
	l.once.Do(func() { l.iam, l.err = LoadIAM(root, tf) })
	if errors.Is(l.err, tfrun.ErrNoTerraform) {
		tb.Skip(l.err)
	}
	if l.err != nil {
		tb.Fatal(l.err)
	}
	return l.iam
}

// loadModel loads Terraform's roles and the workflows, with in-memory replacements: tf by path
// relative to the repository root, wf by workflow file name ("" deletes the workflow).
func loadModel(tb testing.TB, tf map[string]string, wf map[string]string) *ciModel {
	tb.Helper()
	m := &ciModel{iam: loadIAM(tb, tf)}
	m.envs = slices.Sorted(maps.Keys(m.iam))
	for _, f := range loadWorkflows(tb) {
		if src, ok := wf[f.Name]; ok {
			if src == "" { // deleted
				continue
			}
			var err error
			if f, err = Parse(f.Path, []byte(src)); err != nil {
				tb.Fatal(err)
			}
		}
		m.files = append(m.files, f)
	}
	var err error
	if m.runs, err = Runs(m.files, m.envs); err != nil {
		tb.Fatal(err)
	}
	return m
}

func (m *ciModel) role(r Run, variable string) (*Role, error) {
	name, env, err := RoleOf(variable, r.Env, m.envs)
	if err != nil {
		return nil, err
	}
	e, ok := m.iam[env]
	if !ok {
		return nil, fmt.Errorf("%s names environment %s, which has no Terraform root", variable, env)
	}
	role, ok := e.Roles[name]
	if !ok {
		return nil, fmt.Errorf("%s names the %s role of %s, which Terraform does not define", variable, name, env)
	}
	return role, nil
}

func (m *ciModel) subject(r Run) string {
	// Every environment names the same repository (checked by checkTrustExact).
	return "repo:" + m.iam[m.envs[0]].Repository + ":" + r.Subject
}

func hasIDToken(f *File, job *actionlint.Job) bool {
	if job.Permissions != nil {
		return scopes(job.Permissions)["id-token"] == "write"
	}
	return scopes(f.Workflow.Permissions)["id-token"] == "write"
}

// checkTrustExact: every job that assumes a role has a subject that role trusts, and every
// subject a role trusts is the subject of a job that assumes it: no role trusts more.
func checkTrustExact(m *ciModel) []string {
	var out []string
	used := map[*Role]map[string]bool{}
	for _, r := range m.runs {
		for _, v := range r.RoleVars {
			role, err := m.role(r, v)
			if err != nil {
				out = append(out, r.Name()+": "+err.Error())
				continue
			}
			sub := m.subject(r)
			if !slices.Contains(role.Trusts, sub) {
				out = append(out, fmt.Sprintf("%s has subject %s, which role %s/%s does not trust (%v)", r.Name(), sub, role.Env, role.Name, role.Trusts))
			}
			if used[role] == nil {
				used[role] = map[string]bool{}
			}
			used[role][sub] = true
		}
	}
	for _, env := range m.envs {
		e := m.iam[env]
		if e.Repository != m.iam[m.envs[0]].Repository {
			out = append(out, fmt.Sprintf("%s trusts repository %s, %s trusts %s", env, e.Repository, m.envs[0], m.iam[m.envs[0]].Repository))
		}
		for _, name := range slices.Sorted(maps.Keys(e.Roles)) {
			role := e.Roles[name]
			for _, sub := range role.Trusts {
				if !used[role][sub] {
					out = append(out, fmt.Sprintf("role %s/%s trusts %s, but no job that assumes it has that subject", env, name, sub))
				}
			}
		}
	}
	return out
}

var (
	ciApply    = regexp.MustCompile(`scripts/terraform-ci\.sh\s+apply\s+(\S+)\s+(\S+)`)
	ciPlan     = regexp.MustCompile(`scripts/terraform-ci\.sh\s+plan\b`)
	rawApply   = regexp.MustCompile(`(?m)\bterraform\b[^\n]*\s(apply|plan)\b`)
	runnerTemp = strings.NewReplacer("${{ runner.temp }}", "$RUNNER_TEMP", `"`, "")
)

func runText(st *actionlint.Step) string {
	if r, ok := st.Exec.(*actionlint.ExecRun); ok && r.Run != nil {
		return r.Run.Value
	}
	return ""
}

func actionOf(st *actionlint.Step) (string, map[string]string) {
	a, ok := st.Exec.(*actionlint.ExecAction)
	if !ok || a.Uses == nil {
		return "", nil
	}
	in := map[string]string{}
	for k, v := range a.Inputs {
		if v.Value != nil {
			in[k] = v.Value.Value
		}
	}
	return a.Uses.Value[:max(strings.Index(a.Uses.Value, "@"), 0)], in
}

// checkApplyConsumesPlan: Terraform applies only through scripts/terraform-ci.sh apply, in a
// job of a GitHub environment that downloads this commit's plan artifact of that environment
// first, applies the downloaded directory and plans nothing itself.
func checkApplyConsumesPlan(m *ciModel) []string {
	var out []string
	applies := 0
	for _, f := range m.files {
		for _, id := range slices.Sorted(maps.Keys(f.Workflow.Jobs)) {
			job := f.Workflow.Jobs[id]
			where := f.Name + " job " + id
			downloaded := map[string]string{} // path -> artifact name
			planned := false
			for _, st := range job.Steps {
				if uses, in := actionOf(st); uses == "actions/download-artifact" {
					downloaded[runnerTemp.Replace(in["path"])] = in["name"]
				}
				text := runText(st)
				if ciPlan.MatchString(text) {
					planned = true
				}
				for _, raw := range rawApply.FindAllStringSubmatch(strings.ReplaceAll(text, "terraform-ci.sh", "ci"), -1) {
					out = append(out, fmt.Sprintf("%s runs terraform %s itself; plans and applies go through scripts/terraform-ci.sh", where, raw[1]))
				}
				for _, a := range ciApply.FindAllStringSubmatch(text, -1) {
					applies++
					env, dir := a[1], runnerTemp.Replace(a[2])
					if job.Environment == nil || job.Environment.Name == nil || job.Environment.Name.Value != env {
						out = append(out, fmt.Sprintf("%s applies %s outside the GitHub environment %s", where, env, env))
					}
					name, ok := downloaded[dir]
					switch {
					case !ok:
						out = append(out, fmt.Sprintf("%s applies %s, which no earlier step downloaded as a plan artifact", where, dir))
					case name != "tfplan-"+env+"-${{ github.sha }}":
						out = append(out, fmt.Sprintf("%s applies artifact %q, want tfplan-%s-${{ github.sha }} (this commit's plan of %s)", where, name, env, env))
					}
					if planned {
						out = append(out, fmt.Sprintf("%s plans and applies in one job: the apply must consume the reviewed plan artifact", where))
					}
				}
			}
		}
	}
	if applies == 0 {
		out = append(out, "no job applies Terraform through scripts/terraform-ci.sh apply")
	}
	return out
}

func (m *ciModel) isApplyJob(job *actionlint.Job) bool {
	for _, st := range job.Steps {
		if ciApply.MatchString(runText(st)) {
			return true
		}
	}
	return false
}

// checkApplyConcurrency: applies never share a concurrency group with a job or run a pull
// request starts (GitHub keeps one pending job per group, so a newer one replaces it), and
// nothing cancels a running apply.
func checkApplyConcurrency(m *ciModel) []string {
	var out []string
	groups := map[string]string{} // lower-cased group -> apply run
	for _, r := range m.runs {
		if !m.isApplyJob(r.Job) {
			continue
		}
		ctx := exprContext{scenario: r.Scenario, matrix: r.Matrix}
		for _, c := range []struct {
			what string
			conc *actionlint.Concurrency
		}{{"job", r.Job.Concurrency}, {"workflow", r.File.Workflow.Concurrency}} {
			if c.conc == nil || c.conc.Group == nil {
				if c.what == "job" {
					out = append(out, r.Name()+": an apply job without its own concurrency group")
				}
				continue
			}
			g, err := ctx.evalString(c.conc.Group.Value)
			if err != nil || !g.known {
				out = append(out, fmt.Sprintf("%s: %s concurrency group %q is not fixed by the run", r.Name(), c.what, c.conc.Group.Value))
				continue
			}
			groups[strings.ToLower(str2(g))] = r.Name()
			cancel := known(false)
			if ci := c.conc.CancelInProgress; ci != nil {
				if ci.Expression != nil {
					if cancel, err = ctx.evalString(ci.Expression.Value); err != nil {
						cancel = unknown
					}
				} else {
					cancel = known(ci.Value)
				}
			}
			if !cancel.known || truthy(cancel) {
				out = append(out, fmt.Sprintf("%s: %s concurrency may cancel a running apply (cancel-in-progress)", r.Name(), c.what))
			}
		}
	}
	for _, r := range m.runs {
		if r.Scenario.Event != "pull_request" {
			continue
		}
		ctx := exprContext{scenario: r.Scenario, matrix: r.Matrix}
		for _, conc := range []*actionlint.Concurrency{r.Job.Concurrency, r.File.Workflow.Concurrency} {
			if conc == nil || conc.Group == nil {
				continue
			}
			g, err := ctx.evalString(conc.Group.Value)
			if err != nil || !g.known {
				continue
			}
			if apply, ok := groups[strings.ToLower(str2(g))]; ok {
				out = append(out, fmt.Sprintf("%s uses concurrency group %q, the group of %s: a pull request could replace a waiting apply", r.Name(), str2(g), apply))
			}
		}
	}
	if len(groups) == 0 {
		out = append(out, "no apply job found")
	}
	return out
}

// call is one AWS API call a workflow step makes.
type call struct{ action, resource string }

var awsCLI = regexp.MustCompile(`(?m)\baws\s+([a-z0-9-]+)\s+([a-z0-9-]+)`)

// stepCalls lists the AWS calls of a step as the role sees them; delegated names a script whose
// calls the script tests check under the role (TestScriptsUnderRolePolicy).
func stepCalls(e *EnvIAM, st *actionlint.Step) (calls []call, delegated string, err error) {
	repo := "arn:aws:ecr:" + e.Region + ":" + FakeAccount + ":repository/" + e.ECRRepositoryName
	cluster := "arn:aws:eks:" + e.Region + ":" + FakeAccount + ":cluster/" + e.ClusterName
	state := "arn:aws:s3:::" + e.StateBucket
	switch uses, in := actionOf(st); uses {
	case "aws-actions/amazon-ecr-login":
		calls = append(calls, call{"ecr:GetAuthorizationToken", "*"})
	case "docker/build-push-action":
		if in["push"] == "true" {
			for _, a := range []string{"BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "PutImage"} {
				calls = append(calls, call{"ecr:" + a, repo})
			}
		}
	}
	text := runText(st)
	for _, m := range awsCLI.FindAllStringSubmatch(text, -1) {
		switch m[1] + " " + m[2] {
		case "ecr describe-images":
			calls = append(calls, call{"ecr:DescribeImages", repo})
		case "ecr get-login-password":
			calls = append(calls, call{"ecr:GetAuthorizationToken", "*"})
		case "eks update-kubeconfig":
			calls = append(calls, call{"eks:DescribeCluster", cluster})
		default:
			return nil, "", fmt.Errorf("aws %s %s is not modelled: add it to stepCalls", m[1], m[2])
		}
	}
	switch {
	case ciPlan.MatchString(text):
		calls = append(calls, call{"s3:ListBucket", state}, call{"s3:GetObject", state + "/" + e.StateKey},
			call{"s3:PutObject", state + "/" + e.StateKey + ".tflock"}, call{"s3:DeleteObject", state + "/" + e.StateKey + ".tflock"},
			call{"kms:GenerateDataKey", e.PlansKeyARN})
	case ciApply.MatchString(text):
		calls = append(calls, call{"kms:Decrypt", e.PlansKeyARN}, call{"s3:GetObject", state + "/" + e.StateKey}, call{"s3:PutObject", state + "/" + e.StateKey},
			call{"s3:PutObject", state + "/" + e.StateKey + ".tflock"}, call{"iam:CreateRole", "*"}, call{"eks:CreateCluster", "*"})
	case slices.Contains(prepo.MakeCalls(text), "deploy-app"):
		delegated = "scripts/deploy-app.sh"
	}
	return calls, delegated, nil
}

// checkStepCalls: every AWS call a workflow step makes is allowed by the policy of the role
// its job assumed, as Terraform defines it (actions and resources).
func checkStepCalls(m *ciModel) []string {
	var out []string
	for _, r := range m.runs {
		var role *Role
		for _, st := range r.Job.Steps {
			if uses, in := actionOf(st); uses == awsCredentialsAction {
				names, err := roleVariables(r.Job, in["role-to-assume"])
				if err != nil {
					out = append(out, r.Name()+": "+err.Error())
					continue
				}
				if len(names) > 1 {
					names = []string{r.Matrix[strings.TrimPrefix(matrixKey(in["role-to-assume"]), "matrix.")]}
				}
				if role, err = m.role(r, names[0]); err != nil {
					out = append(out, r.Name()+": "+err.Error())
				}
				continue
			}
			if role == nil {
				if c, d, err := stepCalls(m.iam[m.envs[0]], st); err == nil && (len(c) > 0 || d != "") {
					out = append(out, fmt.Sprintf("%s calls AWS before (or without) assuming a role", r.Name()))
				}
				continue
			}
			calls, _, err := stepCalls(m.iam[role.Env], st)
			if err != nil {
				out = append(out, r.Name()+": "+err.Error())
			}
			for _, c := range calls {
				ok, err := role.Allows(c.action, c.resource)
				if err != nil {
					out = append(out, err.Error())
				}
				if !ok {
					out = append(out, fmt.Sprintf("%s: role %s/%s may not %s on %s (AccessDenied)", r.Name(), role.Env, role.Name, c.action, c.resource))
				}
			}
		}
	}
	return out
}

// checkPromotion: an environment whose Terraform gives it no push role promotes images: no job
// in it builds or pushes one, and its deploys pass PROMOTE_FROM_REPOSITORY_URL to deploy-app.
func checkPromotion(m *ciModel) []string {
	var out []string
	promoting := 0
	for _, r := range m.runs {
		if r.Env == "" {
			continue
		}
		if _, builds := m.iam[r.Env].Roles["push"]; builds {
			continue
		}
		for _, st := range r.Job.Steps {
			uses, in := actionOf(st)
			if uses == "docker/build-push-action" && in["push"] == "true" || slices.Contains(prepo.MakeCalls(runText(st)), "image") {
				out = append(out, fmt.Sprintf("%s builds and pushes an image in %s, which promotes the digest tested in another environment", r.Name(), r.Env))
			}
			if slices.Contains(prepo.MakeCalls(runText(st)), "deploy-app") {
				promoting++
				if st.Env == nil || st.Env.Vars["promote_from_repository_url"] == nil ||
					st.Env.Vars["promote_from_repository_url"].Value.Value != "${{ vars.PROMOTE_FROM_REPOSITORY_URL }}" {
					out = append(out, fmt.Sprintf("%s deploys to %s without PROMOTE_FROM_REPOSITORY_URL: ${{ vars.PROMOTE_FROM_REPOSITORY_URL }}", r.Name(), r.Env))
				}
			}
		}
	}
	if promoting == 0 {
		out = append(out, "no job deploys to an environment that promotes")
	}
	return out
}

// TestTrustChecks runs every check of the trust model on the real tree: no problem.
func TestTrustChecks(t *testing.T) {
	t.Parallel()
	m := loadModel(t, nil, nil)
	for _, check := range []func(*ciModel) []string{checkPromotion, checkTrustExact,
		checkApplyConsumesPlan, checkApplyConcurrency, checkStepCalls} {
		for _, p := range check(m) {
			t.Error(p)
		}
	}
}

// tfDefects puts three defects back into the iam-github module at once, so that one terraform
// run serves every check (each must still name its own): the push role also trusting the
// branch (#13.5), no ecr:DescribeImages (#12.1).
func tfDefects(tb testing.TB) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, m := range []struct{ rel, old, new string }{
		{"infra/modules/iam-github/main.tf", "values   = [local.environment_subject]", "values   = [local.environment_subject, local.branch_subject]"},
		{"infra/modules/iam-github/locals.tf", `"ecr:DescribeImages", `, ""},
	} {
		src, ok := out[m.rel]
		if !ok {
			b, err := os.ReadFile(filepath.Join(prepo.Root(tb), m.rel))
			if err != nil {
				tb.Fatal(err)
			}
			src = string(b)
		}
		if !strings.Contains(src, m.old) {
			tb.Fatalf("%s does not contain %q; update the mutation", m.rel, m.old)
		}
		out[m.rel] = strings.Replace(src, m.old, m.new, 1)
	}
	return out
}

// TestTrustChecksCatchMutations breaks the real Terraform or workflows in memory, one defect
// of issue #13 or #12 at a time, and expects the matching check to name it.
func TestTrustChecksCatchMutations(t *testing.T) {
	t.Parallel()
	root := prepo.Root(t)
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	replace := func(rel, old, new string) string {
		src := read(rel)
		if !strings.Contains(src, old) {
			t.Fatalf("%s does not contain %q; update the mutation", rel, old)
		}
		return strings.Replace(src, old, new, 1)
	}
	const infra = ".github/workflows/infra.yml"
	for _, tc := range []struct {
		name  string
		tf    map[string]string
		wf    map[string]string
		check func(*ciModel) []string
		want  string
	}{
		{
			// #13.1/#13.2: the PR plan job in an environment gets environment:<env>, trusted by the writing roles only.
			name:  "PR plan job in an environment",
			wf:    map[string]string{"infra.yml": replace(infra, "    needs: check\n    if: github.event_name == 'pull_request' || github.ref == 'refs/heads/main'\n", "    needs: check\n    if: github.event_name == 'pull_request' || github.ref == 'refs/heads/main'\n    environment: ${{ matrix.environment }}\n")},
			check: checkTrustExact,
			want:  "(pull_request refs/pull/1/merge) has subject repo:orderstack/orderstack:environment:dev, which role dev/plan does not trust",
		},
		{
			// #13.6: prod builds its own image on a tag again.
			name: "prod rebuilds on a tag",
			wf: map[string]string{"image.yml": strings.Replace(strings.Replace(replace(".github/workflows/image.yml", "    environment: dev\n", "    environment: ${{ github.ref_type == 'tag' && 'prod' || 'dev' }}\n"),
				"    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/main'\n", "    if: github.event_name != 'pull_request'\n", 1),
				"      - \".github/workflows/deploy.yml\"\n  workflow_dispatch:", "      - \".github/workflows/deploy.yml\"\n    tags: [\"v*\"]\n  workflow_dispatch:", 1),
			},
			check: checkTrustExact,
			want:  "AWS_PUSH_ROLE_ARN names the push role of prod, which Terraform does not define",
		},
		{
			name:  "prod deploy without promotion",
			wf:    map[string]string{"deploy.yml": replace(".github/workflows/deploy.yml", "          PROMOTE_FROM_REPOSITORY_URL: ${{ vars.PROMOTE_FROM_REPOSITORY_URL }}\n", "")},
			check: checkPromotion,
			want:  "deploys to prod without PROMOTE_FROM_REPOSITORY_URL",
		},
		{
			// #13.5: the push role also trusting the branch: no job that assumes it has that subject.
			name:  "push role trusts main",
			tf:    tfDefects(t),
			check: checkTrustExact,
			want:  "trusts repo:orderstack/orderstack:ref:refs/heads/main, but no job that assumes it has that subject",
		},
		{
			// A deleted workflow leaves its roles assumed by no job (ci.yml: TestGateOnPullRequests).
			name:  "image.yml deleted",
			wf:    map[string]string{"image.yml": ""},
			check: checkTrustExact,
			want:  "role dev/push trusts repo:orderstack/orderstack:environment:dev, but no job that assumes it has that subject",
		},
		{
			name:  "deploy.yml deleted",
			wf:    map[string]string{"deploy.yml": ""},
			check: checkTrustExact,
			want:  "role prod/deploy trusts repo:orderstack/orderstack:environment:prod, but no job",
		},
		{
			name:  "infra.yml deleted",
			wf:    map[string]string{"infra.yml": ""},
			check: checkTrustExact,
			want:  "role dev/plan trusts repo:orderstack/orderstack:pull_request, but no job",
		},
		{
			// #13.3: apply without the reviewed plan.
			name:  "apply job plans itself",
			wf:    map[string]string{"infra.yml": replace(infra, `run: scripts/terraform-ci.sh apply dev "$RUNNER_TEMP/plan"`, "run: |\n          scripts/terraform-ci.sh plan dev \"$RUNNER_TEMP/plan\"\n          scripts/terraform-ci.sh apply dev \"$RUNNER_TEMP/plan\"")},
			check: checkApplyConsumesPlan,
			want:  "infra.yml job apply-dev plans and applies in one job",
		},
		{
			name:  "apply job without the artifact",
			wf:    map[string]string{"infra.yml": replace(infra, "          name: tfplan-prod-${{ github.sha }}\n          path: ${{ runner.temp }}/plan", "          name: tfplan-prod-${{ github.sha }}\n          path: ${{ runner.temp }}/other")},
			check: checkApplyConsumesPlan,
			want:  "infra.yml job apply-prod applies $RUNNER_TEMP/plan, which no earlier step downloaded",
		},
		{
			name:  "terraform apply by hand",
			wf:    map[string]string{"infra.yml": replace(infra, `run: scripts/terraform-ci.sh apply prod "$RUNNER_TEMP/plan"`, `run: terraform -chdir=infra/envs apply -var-file=prod.tfvars -auto-approve`)},
			check: checkApplyConsumesPlan,
			want:  "runs terraform apply itself",
		},
		{
			// #13.4: plans and applies in one concurrency group.
			name:  "shared concurrency group",
			wf:    map[string]string{"infra.yml": replace(infra, "group: terraform-plan-${{ matrix.environment }}-${{ github.event.pull_request.number || github.ref }}", "group: terraform-apply-${{ matrix.environment }}")},
			check: checkApplyConcurrency,
			want:  `uses concurrency group "terraform-apply-dev", the group of infra.yml job apply-dev`,
		},
		{
			name:  "apply cancelled in progress",
			wf:    map[string]string{"infra.yml": replace(infra, "      group: terraform-apply-prod\n      cancel-in-progress: false", "      group: terraform-apply-prod\n      cancel-in-progress: true")},
			check: checkApplyConcurrency,
			want:  "job concurrency may cancel a running apply",
		},
		{
			// #12.1: the deploy role cannot read ECR (and the push role's pre-check neither).
			name:  "no ecr:DescribeImages",
			tf:    tfDefects(t),
			check: checkStepCalls,
			want:  "role dev/push may not ecr:DescribeImages",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if p := tc.check(loadModel(t, nil, nil)); len(p) != 0 {
				t.Fatalf("unmutated tree already has problems: %q", p)
			}
			problems := tc.check(loadModel(t, tc.tf, tc.wf))
			if len(problems) == 0 {
				t.Fatal("the mutation went unnoticed")
			}
			if tc.want == "" {
				return
			}
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("problems %q, want one containing %q", problems, tc.want)
		})
	}
}

var arnPrefix = regexp.MustCompile(`^arn:aws:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:`)

// rolesTable renders role → trusted subjects → permissions → jobs, from Terraform and the
// workflows, for docs/cicd.md.
func rolesTable(m *ciModel) (string, error) {
	var b strings.Builder
	repo := "repo:" + m.iam[m.envs[0]].Repository + ":"
	b.WriteString("| role | trusted subjects (`" + repo + "…`) | permissions | jobs that assume it |\n|---|---|---|---|\n")
	for _, env := range m.envs {
		e := m.iam[env]
		for _, name := range slices.Sorted(maps.Keys(e.Roles)) {
			role := e.Roles[name]
			var subs []string
			for _, s := range role.Trusts {
				subs = append(subs, "`"+strings.TrimPrefix(s, repo)+"`")
			}
			var perms []string
			for _, mp := range role.Managed {
				perms = append(perms, "`"+mp+"` (managed)")
			}
			for _, s := range role.Statements {
				var res []string
				for _, r := range s.Resources {
					res = append(res, "`"+arnPrefix.ReplaceAllString(strings.TrimPrefix(r, "arn:aws:s3:::"), "")+"`")
				}
				deny := ""
				if s.Effect == "Deny" {
					deny = "**deny** "
				}
				perms = append(perms, fmt.Sprintf("%s: %s%s on %s", s.Sid, deny, strings.Join(s.Actions, ", "), strings.Join(res, ", ")))
			}
			jobs := map[string][]string{}
			var order []string
			for _, r := range m.runs {
				for _, v := range r.RoleVars {
					if got, err := m.role(r, v); err != nil || got != role {
						continue
					}
					key := "`" + r.File.Name + "` " + r.JobID
					if _, ok := jobs[key]; !ok {
						order = append(order, key)
					}
					ev := r.Scenario.Event
					if ev != "pull_request" {
						ev += " " + strings.TrimPrefix(strings.TrimPrefix(r.Scenario.Ref, "refs/heads/"), "refs/tags/")
					}
					if !slices.Contains(jobs[key], ev) {
						jobs[key] = append(jobs[key], ev)
					}
				}
			}
			var js []string
			for _, k := range order {
				js = append(js, k+" ("+strings.Join(jobs[k], ", ")+")")
			}
			fmt.Fprintf(&b, "| %s/%s | %s | %s | %s |\n", env, name, strings.Join(subs, "<br>"), strings.Join(perms, "<br>"), strings.Join(js, "<br>"))
		}
	}
	return b.String(), nil
}

const (
	tableBegin = "<!-- BEGIN roles table: generated from infra/ and .github/workflows by platform/workflows TestRolesTableInDocs (UPDATE_DOCS=1 to rewrite) -->\n"
	tableEnd   = "<!-- END roles table -->"
)

// TestRolesTableInDocs: docs/cicd.md's role table is what Terraform and the workflows define.
func TestRolesTableInDocs(t *testing.T) {
	t.Parallel()
	table, err := rolesTable(loadModel(t, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(prepo.Root(t), "docs", "cicd.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/cicd.md lacks the markers %q ... %q", tableBegin, tableEnd)
	}
	want := doc[:i+len(tableBegin)] + table + doc[j:]
	if want == doc {
		return
	}
	if os.Getenv("UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/cicd.md's role table is out of date (UPDATE_DOCS=1 go test ./workflows -run TestRolesTableInDocs rewrites it); want:\n%s", table)
}

// checkOIDCProviderAccountLevel: the GitHub OIDC provider is an account-level resource, so only
// infra/bootstrap (applied once per account) may create it; an environment that owned it would
// fail the second environment's apply (EntityAlreadyExists) and delete the other's trust on
// destroy (issue #12, major 5). The environments look it up. override replaces .tf files.
func checkOIDCProviderAccountLevel(root string, override map[string]string) []string {
	var out []string
	count := map[string]int{} // "<dir> <resource|data>" -> blocks of aws_iam_openid_connect_provider
	paths, _ := filepath.Glob(filepath.Join(root, "infra", "*", "*.tf"))
	more, _ := filepath.Glob(filepath.Join(root, "infra", "*", "*", "*.tf"))
	for _, p := range append(paths, more...) {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		src, ok := override[rel]
		if !ok {
			b, err := os.ReadFile(p)
			if err != nil {
				return []string{err.Error()}
			}
			src = string(b)
		}
		f, diags := hclsyntax.ParseConfig([]byte(src), rel, hcl.InitialPos)
		if diags.HasErrors() {
			return []string{diags.Error()}
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if len(b.Labels) == 2 && b.Labels[0] == "aws_iam_openid_connect_provider" {
				count[path.Dir(rel)+" "+b.Type]++
			}
		}
	}
	for k, n := range count {
		if dir, typ, _ := strings.Cut(k, " "); typ == "resource" && dir != "infra/bootstrap" {
			out = append(out, fmt.Sprintf("%s creates %d aws_iam_openid_connect_provider: only infra/bootstrap may (one per account)", dir, n))
		}
	}
	if count["infra/bootstrap resource"] != 1 {
		out = append(out, "infra/bootstrap does not create the GitHub OIDC provider")
	}
	if count["infra/modules/iam-github data"] != 1 {
		out = append(out, "infra/modules/iam-github does not look the provider up with data.aws_iam_openid_connect_provider")
	}
	sort.Strings(out)
	return out
}

func TestOIDCProviderAccountLevel(t *testing.T) {
	root := prepo.Root(t)
	for _, p := range checkOIDCProviderAccountLevel(root, nil) {
		t.Error(p)
	}
	// The defect of issue #12.5, put back: the module creates the provider again.
	iamMain, err := os.ReadFile(filepath.Join(root, "infra/modules/iam-github/main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	mutated := string(iamMain) + "\nresource \"aws_iam_openid_connect_provider\" \"github\" {\n  url            = \"https://token.actions.githubusercontent.com\"\n  client_id_list = [\"sts.amazonaws.com\"]\n}\n"
	got := checkOIDCProviderAccountLevel(root, map[string]string{"infra/modules/iam-github/main.tf": mutated})
	if !slices.ContainsFunc(got, func(p string) bool {
		return strings.Contains(p, "infra/modules/iam-github creates 1 aws_iam_openid_connect_provider")
	}) {
		t.Errorf("a provider created by the environments' module went unnoticed: %q", got)
	}
}
