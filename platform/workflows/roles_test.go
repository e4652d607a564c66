package workflows

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nektos/act/pkg/exprparser"

	prepo "github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/orderstack/orderstack/platform/internal/tfrun"
	"github.com/rhysd/actionlint"
)

// The CI/CD trust model as data: the roles as terraform makes them (LoadIAM) against the jobs as
// the workflows define them (Runs). Each check returns problems; TestTrustChecks runs it on the
// real tree and on the mutation it is for.

type ciModel struct {
	envs  []string
	iam   map[string]*EnvIAM
	files []File
	runs  []Run
}

var iamLoads sync.Map // fmt.Sprint(replacements) -> LoadIAM, run once

// loadIAM runs terraform (LoadIAM) once per distinct set of replaced files (tf: path relative to
// the repository root -> content).
func loadIAM(tb testing.TB, tf map[string]string) map[string]*EnvIAM {
	tb.Helper()
	root := prepo.Root(tb)
	load, _ := iamLoads.LoadOrStore(fmt.Sprint(tf), sync.OnceValues(func() (map[string]*EnvIAM, error) { return LoadIAM(root, tf) }))
	iam, err := load.(func() (map[string]*EnvIAM, error))()
	if errors.Is(err, tfrun.ErrNoTerraform) {
		tb.Skip(err)
	} else if err != nil {
		tb.Fatal(err)
	}
	return iam
}

// loadModel loads Terraform's roles and the workflows, with in-memory replacements: tf by path
// relative to the repository root, wf by workflow file name ("" deletes the workflow).
func loadModel(tb testing.TB, tf, wf map[string]string) *ciModel {
	tb.Helper()
	m := &ciModel{iam: loadIAM(tb, tf)}
	m.envs = slices.Sorted(maps.Keys(m.iam))
	for _, f := range loadWorkflows(tb) {
		if src, ok := wf[f.Name]; ok && src == "" {
			continue
		} else if ok {
			f = must(Parse(f.Path, []byte(src)))
		}
		m.files = append(m.files, f)
	}
	m.runs = must(Runs(m.files, m.envs))
	return m
}

// role maps a role variable to the role it names: AWS_<ROLE>_ROLE_ARN is an environment variable
// (the job must run in an environment, whose role it names); AWS_<ENV>_PLAN_ROLE_ARN is a
// repository variable naming the plan role of <ENV>.
func (m *ciModel) role(r Run, variable string) (*Role, error) {
	name, env := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(variable, "AWS_"), "_ROLE_ARN")), r.Env
	if e, ok := strings.CutSuffix(name, "_plan"); ok {
		name, env = "plan", e
	} else if !slices.Contains([]string{"push", "deploy", "apply"}, name) {
		return nil, fmt.Errorf("%s names no known role (AWS_{PUSH,DEPLOY,APPLY}_ROLE_ARN, AWS_<ENV>_PLAN_ROLE_ARN)", variable)
	} else if env == "" {
		return nil, fmt.Errorf("%s is an environment variable, but the job runs in no environment (it would be empty)", variable)
	}
	if m.iam[env] == nil {
		return nil, fmt.Errorf("%s names environment %s, which has no Terraform root", variable, env)
	}
	role := m.iam[env].Roles[name]
	if role == nil {
		return nil, fmt.Errorf("%s names the %s role of %s, which Terraform does not define", variable, name, env)
	}
	return role, nil
}

// checkTrustExact: every job that assumes a role has a subject that role trusts, and every
// subject a role trusts is the subject of a job that assumes it: no role trusts more.
func checkTrustExact(m *ciModel) []string {
	var out []string
	used := map[string]bool{} // role env/name + " " + subject
	for _, r := range m.runs {
		for _, v := range r.RoleVars {
			role, err := m.role(r, v)
			if err != nil {
				out = append(out, r.Name()+": "+err.Error())
				continue
			}
			sub := "repo:" + m.iam[m.envs[0]].Repository + ":" + r.Subject // every environment's repository: checked below
			if !slices.Contains(role.Trusts, sub) {
				out = append(out, fmt.Sprintf("%s has subject %s, which role %s/%s does not trust (%v)", r.Name(), sub, role.Env, role.Name, role.Trusts))
			}
			used[role.Env+"/"+role.Name+" "+sub] = true
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
				if !used[env+"/"+name+" "+sub] {
					out = append(out, fmt.Sprintf("role %s/%s trusts %s, but no job that assumes it has that subject", env, name, sub))
				}
			}
		}
	}
	return out
}

var (
	ciApply = regexp.MustCompile(`scripts/terraform-ci\.sh\s+apply\s+(\S+)\s+(\S+)`)
	ciPlan  = regexp.MustCompile(`scripts/terraform-ci\.sh\s+plan\b`)
)

// checkApplyConcurrency: applies never share a concurrency group with a job or run a pull
// request starts (GitHub keeps one pending job per group, so a newer one replaces it), and
// nothing cancels a running apply.
func checkApplyConcurrency(m *ciModel) []string {
	var out []string
	groups := map[string]string{} // lower-cased group -> apply run
	group := func(r Run, c *actionlint.Concurrency) (string, bool) {
		if c == nil || c.Group == nil {
			return "", false
		}
		g, ok, err := evaluate(r.Scenario, r.Matrix, c.Group.Value)
		return strings.ToLower(fmt.Sprint(g)), ok && err == nil
	}
	for _, r := range m.runs {
		if !slices.ContainsFunc(r.Job.Steps, func(st *actionlint.Step) bool { return ciApply.MatchString(runText(st)) }) {
			continue
		}
		if r.Job.Concurrency == nil {
			out = append(out, r.Name()+": an apply job without its own concurrency group")
		}
		for what, c := range map[string]*actionlint.Concurrency{"job": r.Job.Concurrency, "workflow": r.File.Workflow.Concurrency} {
			if c == nil {
				continue
			}
			g, ok := group(r, c)
			if !ok {
				out = append(out, fmt.Sprintf("%s: %s concurrency group is not fixed by the run", r.Name(), what))
			}
			groups[g] = r.Name()
			cancel, ok, err := any(false), true, error(nil)
			if ci := c.CancelInProgress; ci != nil && ci.Expression != nil {
				cancel, ok, err = evaluate(r.Scenario, r.Matrix, ci.Expression.Value)
			} else if ci != nil {
				cancel = ci.Value
			}
			if err != nil || !ok || exprparser.IsTruthy(cancel) {
				out = append(out, fmt.Sprintf("%s: %s concurrency may cancel a running apply (cancel-in-progress)", r.Name(), what))
			}
		}
	}
	for _, r := range m.runs {
		for _, c := range []*actionlint.Concurrency{r.Job.Concurrency, r.File.Workflow.Concurrency} {
			if g, ok := group(r, c); ok && r.Scenario.Event == "pull_request" && groups[g] != "" {
				out = append(out, fmt.Sprintf("%s uses concurrency group %q, the group of %s: a pull request could replace a waiting apply", r.Name(), g, groups[g]))
			}
		}
	}
	if len(groups) == 0 {
		out = append(out, "no apply job found")
	}
	return out
}

type call struct{ action, resource string }

var awsCLI = regexp.MustCompile(`(?m)\baws\s+([a-z0-9-]+)\s+([a-z0-9-]+)`)

// stepCalls lists the AWS calls of a step as the role sees them; delegated names a script whose
// calls the script tests check under the role (TestScripts' ci rows).
func stepCalls(e *EnvIAM, st *actionlint.Step) (calls []call, delegated string, err error) {
	repo := "arn:aws:ecr:" + e.Region + ":" + tfrun.Account + ":repository/" + e.ECRRepositoryName
	cluster := "arn:aws:eks:" + e.Region + ":" + tfrun.Account + ":cluster/" + e.ClusterName
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

// allowed asks the fakes' IAM evaluator (iam_allowed of testdata/iam.sh: an explicit Deny wins,
// then any Allow, with IAM's wildcards) which calls role may make; any failure denies all.
func allowed(role *Role, calls []call) []bool {
	if role == nil {
		return nil
	}
	lines, err := role.PolicyLines()
	var in strings.Builder
	for _, c := range calls {
		in.WriteString(c.action + "\t" + c.resource + "\n")
	}
	cmd := exec.Command("bash", "-c", `. testdata/iam.sh; FAKE_IAM_POLICY=$(mktemp); printf '%s\n' "$POLICY" >"$FAKE_IAM_POLICY"
		while IFS=$'\t' read -r a r; do iam_allowed "$a" "$r" && echo 1 || echo 0; done; rm "$FAKE_IAM_POLICY"`)
	cmd.Env, cmd.Stdin = []string{"POLICY=" + strings.Join(lines, "\n")}, strings.NewReader(in.String())
	answers, err2 := cmd.Output()
	out := make([]bool, len(calls))
	for i, a := range strings.Fields(string(answers)) {
		out[i] = err == nil && err2 == nil && a == "1"
	}
	return out
}

// checkStepCalls: every AWS call a workflow step makes is allowed by the policy of the role
// its job assumed, as Terraform defines it (actions and resources).
func checkStepCalls(m *ciModel) []string {
	var out []string
	for _, r := range m.runs {
		var role *Role
		for _, st := range r.Job.Steps {
			env := m.envs[0]
			if role != nil {
				env = role.Env
			}
			calls, delegated, err := stepCalls(m.iam[env], st)
			if uses, _ := actionOf(st); uses == awsCredentialsAction {
				role, err = m.role(r, r.RoleVars[0])
				r.RoleVars = r.RoleVars[1:]
			} else if err == nil && role == nil && (len(calls) > 0 || delegated != "") {
				err = errors.New("calls AWS before (or without) assuming a role")
			}
			if err != nil {
				out = append(out, r.Name()+": "+err.Error())
			}
			for i, ok := range allowed(role, calls) {
				if !ok {
					out = append(out, fmt.Sprintf("%s: role %s/%s may not %s on %s (AccessDenied)", r.Name(), role.Env, role.Name, calls[i].action, calls[i].resource))
				}
			}
		}
	}
	return out
}

// mutate returns the file rel of the repository with each old replaced by new once (pairs).
func mutate(tb testing.TB, rel string, pairs ...string) string {
	tb.Helper()
	src := string(must(os.ReadFile(filepath.Join(prepo.Root(tb), rel))))
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(src, pairs[i]) {
			tb.Fatalf("%s does not contain %q; update the mutation", rel, pairs[i])
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	return src
}

// tfDefects puts two defects back into the iam-github module at once, so that one terraform run
// serves every check (each must still name its own): the push role also trusting the branch
// (#13.5), no ecr:DescribeImages (#12.1).
func tfDefects(tb testing.TB) map[string]string {
	return map[string]string{
		"infra/modules/iam-github/main.tf":   mutate(tb, "infra/modules/iam-github/main.tf", "values   = [local.environment_subject]", "values   = [local.environment_subject, local.branch_subject]"),
		"infra/modules/iam-github/locals.tf": mutate(tb, "infra/modules/iam-github/locals.tf", `"ecr:DescribeImages", `, ""),
	}
}

func allChecks(m *ciModel) []string {
	return slices.Concat(checkTrustExact(m), checkApplyConcurrency(m), checkStepCalls(m))
}

// TestTrustChecks: on the real tree no check names a problem; with the real Terraform or
// workflows broken in memory, one defect of issue #13 or #12 at a time, the matching check names it.
func TestTrustChecks(t *testing.T) {
	t.Parallel()
	wf := func(name string, pairs ...string) map[string]string {
		return map[string]string{name: mutate(t, ".github/workflows/"+name, pairs...)}
	}
	planIf := "    needs: check\n    if: github.event_name == 'pull_request' || github.ref == 'refs/heads/main'\n"
	for _, tc := range []struct {
		name   string
		tf, wf map[string]string
		check  func(*ciModel) []string
		want   string
	}{
		{"the real tree", nil, nil, allChecks, ""},
		// #13.1/#13.2: the PR plan job in an environment gets environment:<env>, trusted by the writing roles only.
		{"PR plan job in an environment", nil, wf("infra.yml", planIf, planIf+"    environment: ${{ matrix.environment }}\n"),
			checkTrustExact, "(pull_request refs/pull/1/merge) has subject repo:orderstack/orderstack:environment:dev, which role dev/plan does not trust"},
		// #13.6: prod builds its own image on a tag again.
		{"prod rebuilds on a tag", nil, wf("image.yml", "    environment: dev\n", "    environment: ${{ github.ref_type == 'tag' && 'prod' || 'dev' }}\n",
			"    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/main'\n", "    if: github.event_name != 'pull_request'\n",
			"      - \".github/workflows/deploy.yml\"\n  workflow_dispatch:", "      - \".github/workflows/deploy.yml\"\n    tags: [\"v*\"]\n  workflow_dispatch:"),
			checkTrustExact, "AWS_PUSH_ROLE_ARN names the push role of prod, which Terraform does not define"},
		// #13.5: the push role also trusting the branch: no job that assumes it has that subject.
		{"push role trusts main", tfDefects(t), nil, checkTrustExact, "trusts repo:orderstack/orderstack:ref:refs/heads/main, but no job that assumes it has that subject"},
		// A deleted workflow leaves its roles assumed by no job (ci.yml: policy/gate.rego).
		{"image.yml deleted", nil, map[string]string{"image.yml": ""}, checkTrustExact, "role dev/push trusts repo:orderstack/orderstack:environment:dev, but no job"},
		{"deploy.yml deleted", nil, map[string]string{"deploy.yml": ""}, checkTrustExact, "role prod/deploy trusts repo:orderstack/orderstack:environment:prod, but no job"},
		{"infra.yml deleted", nil, map[string]string{"infra.yml": ""}, checkTrustExact, "role dev/plan trusts repo:orderstack/orderstack:pull_request, but no job"},
		// #13.4: plans and applies in one concurrency group; an apply cancelled in progress.
		{"shared concurrency group", nil, wf("infra.yml", "group: terraform-plan-${{ matrix.environment }}-${{ github.event.pull_request.number || github.ref }}", "group: terraform-apply-${{ matrix.environment }}"),
			checkApplyConcurrency, `uses concurrency group "terraform-apply-dev", the group of infra.yml job apply-dev`},
		{"apply cancelled in progress", nil, wf("infra.yml", "      group: terraform-apply-prod\n      cancel-in-progress: false", "      group: terraform-apply-prod\n      cancel-in-progress: true"),
			checkApplyConcurrency, "job concurrency may cancel a running apply"},
		// #12.1: the deploy role cannot read ECR (and the push role's pre-check neither).
		{"no ecr:DescribeImages", tfDefects(t), nil, checkStepCalls, "role dev/push may not ecr:DescribeImages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			problems := tc.check(loadModel(t, tc.tf, tc.wf))
			found := slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) })
			if tc.want == "" && len(problems) > 0 || tc.want != "" && !found {
				t.Errorf("problems %q, want one containing %q (\"\": none)", problems, tc.want)
			}
		})
	}
}

var arnPrefix = regexp.MustCompile(`^arn:aws:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:`)

// rolesTable renders role → trusted subjects → permissions → jobs, from Terraform and the
// workflows, for docs/cicd.md.
func rolesTable(m *ciModel) string {
	repo := "repo:" + m.iam[m.envs[0]].Repository + ":"
	out := "| role | trusted subjects (`" + repo + "…`) | permissions | jobs that assume it |\n|---|---|---|---|\n"
	code := func(s string) string { return "`" + s + "`" }
	for _, env := range m.envs {
		for _, name := range slices.Sorted(maps.Keys(m.iam[env].Roles)) {
			role := m.iam[env].Roles[name]
			var subs, perms []string
			for _, s := range role.Trusts {
				subs = append(subs, code(strings.TrimPrefix(s, repo)))
			}
			for _, mp := range role.Managed {
				perms = append(perms, code(mp)+" (managed)")
			}
			for _, s := range role.Statements {
				var res []string
				for _, r := range s.Resources {
					res = append(res, code(arnPrefix.ReplaceAllString(strings.TrimPrefix(r, "arn:aws:s3:::"), "")))
				}
				perms = append(perms, fmt.Sprintf("%s: %s%s on %s", s.Sid, map[string]string{"Deny": "**deny** "}[s.Effect], strings.Join(s.Actions, ", "), strings.Join(res, ", ")))
			}
			evs := map[string][]string{} // job -> the events it runs on
			for _, r := range m.runs {
				if !slices.ContainsFunc(r.RoleVars, func(v string) bool { got, err := m.role(r, v); return err == nil && got == role }) {
					continue
				}
				key, ev := code(r.File.Name)+" "+r.JobID, r.Scenario.Event
				if ev != "pull_request" {
					ev += " " + strings.TrimPrefix(strings.TrimPrefix(r.Scenario.Ref, "refs/heads/"), "refs/tags/")
				}
				if !slices.Contains(evs[key], ev) {
					evs[key] = append(evs[key], ev)
				}
			}
			var jobs []string
			for _, k := range slices.Sorted(maps.Keys(evs)) { // the runs' order: files and jobs sorted
				jobs = append(jobs, k+" ("+strings.Join(evs[k], ", ")+")")
			}
			out += fmt.Sprintf("| %s/%s | %s | %s | %s |\n", env, name, strings.Join(subs, "<br>"), strings.Join(perms, "<br>"), strings.Join(jobs, "<br>"))
		}
	}
	return out
}

// TestRolesTableInDocs: docs/cicd.md's role table is what Terraform and the workflows define
// (UPDATE_DOCS=1 rewrites it).
func TestRolesTableInDocs(t *testing.T) {
	t.Parallel()
	const begin, end = "<!-- BEGIN roles table: generated from infra/ and .github/workflows by platform/workflows TestRolesTableInDocs (UPDATE_DOCS=1 to rewrite) -->\n", "<!-- END roles table -->"
	table := rolesTable(loadModel(t, nil, nil))
	path := filepath.Join(prepo.Root(t), "docs", "cicd.md")
	doc := string(must(os.ReadFile(path)))
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("docs/cicd.md lacks the markers %q ... %q", begin, end)
	}
	if want := doc[:i+len(begin)] + table + doc[j:]; want != doc && os.Getenv("UPDATE_DOCS") == "1" {
		must(0, os.WriteFile(path, []byte(want), 0o644))
	} else if want != doc {
		t.Errorf("docs/cicd.md's role table is out of date (UPDATE_DOCS=1 go test ./workflows -run TestRolesTableInDocs rewrites it); want:\n%s", table)
	}
}
