package workflows

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/rhysd/actionlint"
)

func loadWorkflows(tb testing.TB) []File {
	tb.Helper()
	files, err := Load(repo.Root(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// TestActionlint runs actionlint v1.7.12 (as a library) on every workflow:
// zero findings. Its shellcheck integration runs the run: scripts through
// shellcheck when it is installed (GitHub's ubuntu runners have it).
func TestActionlint(t *testing.T) {
	root := repo.Root(t)
	paths, err := WorkflowPaths(root)
	if err != nil {
		t.Fatal(err)
	}
	opts := &actionlint.LinterOptions{WorkingDir: root}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else {
		t.Log("shellcheck not installed: actionlint checks run: scripts without it")
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestTopLevelPermissionsReadOnly: every workflow states its default token
// permissions, and they are exactly contents: read.
func TestTopLevelPermissionsReadOnly(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		p := f.Workflow.Permissions
		if p == nil {
			t.Errorf("%s: no top-level permissions, want contents: read", f.Name)
			continue
		}
		if p.All != nil {
			t.Errorf("%s: top-level permissions: %s, want contents: read", f.Name, p.All.Value)
			continue
		}
		if diff := cmp.Diff(map[string]string{"contents": "read"}, scopes(p)); diff != "" {
			t.Errorf("%s: top-level permissions (-want +got):\n%s", f.Name, diff)
		}
	}
}

func scopes(p *actionlint.Permissions) map[string]string {
	m := map[string]string{}
	if p == nil {
		return m
	}
	for name, s := range p.Scopes {
		m[name] = s.Value.Value
	}
	return m
}

func usesOf(job *actionlint.Job) []string {
	var uses []string
	for _, st := range job.Steps {
		if a, ok := st.Exec.(*actionlint.ExecAction); ok && a.Uses != nil {
			uses = append(uses, a.Uses.Value)
		}
	}
	return uses
}

func usesAWSCredentials(job *actionlint.Job) bool {
	for _, u := range usesOf(job) {
		if strings.HasPrefix(u, awsCredentialsAction+"@") {
			return true
		}
	}
	return false
}

// calleeUsesAWSCredentials reports whether a job calling a local reusable
// workflow (uses: ./.github/workflows/x.yml) gets AWS credentials in it.
func calleeUsesAWSCredentials(tb testing.TB, files []File, job *actionlint.Job) bool {
	tb.Helper()
	if job.WorkflowCall == nil || job.WorkflowCall.Uses == nil {
		return false
	}
	name := filepath.Base(job.WorkflowCall.Uses.Value)
	for _, f := range files {
		if f.Name != name {
			continue
		}
		for _, j := range f.Workflow.Jobs {
			if usesAWSCredentials(j) {
				return true
			}
		}
	}
	return false
}

// TestIDTokenOnlyForAWS: a job may ask for id-token: write only if it (or
// the reusable workflow it calls) assumes an AWS role, every job that
// assumes one asks for it, and no job asks for more than contents: read and
// id-token: write, except pull-requests: write in a job that neither
// assumes a role nor checks out code (it only posts data, e.g. a plan
// summary, on the pull request).
func TestIDTokenOnlyForAWS(t *testing.T) {
	files := loadWorkflows(t)
	for _, f := range files {
		for id, job := range f.Workflow.Jobs {
			perms := scopes(job.Permissions)
			if job.Permissions != nil && job.Permissions.All != nil {
				t.Errorf("%s: job %s: permissions: %s, want explicit scopes", f.Name, id, job.Permissions.All.Value)
			}
			needs := usesAWSCredentials(job) || calleeUsesAWSCredentials(t, files, job)
			if got := perms["id-token"] == "write"; got != needs {
				t.Errorf("%s: job %s: id-token: write = %t, want %t (the job assumes an AWS role: %t)", f.Name, id, got, needs, needs)
			}
			commenter := !needs && !slices.ContainsFunc(usesOf(job), func(u string) bool { return strings.HasPrefix(u, "actions/checkout@") })
			for scope, level := range perms {
				if scope == "pull-requests" && level == "write" && commenter {
					continue
				}
				if scope != "contents" && scope != "id-token" || scope == "contents" && level != "read" {
					t.Errorf("%s: job %s: permission %s: %s, want only contents: read and id-token: write", f.Name, id, scope, level)
				}
			}
		}
	}
}

var (
	usesLine = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinned   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	version  = regexp.MustCompile(`^\s+#\s*v?\d+(\.\d+){1,2}\b`)
)

// TestActionsPinnedBySHA: every third-party action is pinned to a full
// 40-hex commit with a "# vX.Y.Z" comment naming the release; only local
// reusable workflows (./...) are exempt.
func TestActionsPinnedBySHA(t *testing.T) {
	n := 0
	for _, f := range loadWorkflows(t) {
		for i, line := range strings.Split(string(f.Source), "\n") {
			m := usesLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			ref, rest := m[1], m[2]
			if strings.HasPrefix(ref, "./") {
				continue
			}
			n++
			if !pinned.MatchString(ref) {
				t.Errorf("%s:%d: uses %s, want owner/repo@<40-hex commit SHA>", f.Name, i+1, ref)
			}
			if !version.MatchString(rest) {
				t.Errorf("%s:%d: uses %s without a '# vX.Y.Z' comment naming the release", f.Name, i+1, ref)
			}
		}
	}
	if n == 0 {
		t.Error("found no uses: lines at all; the check is not looking at the workflows")
	}
}

// TestNoAWSKeys: AWS access only through OIDC roles from vars.*: no
// access-key inputs or AWS key secrets in workflows or deploy scripts.
func TestNoAWSKeys(t *testing.T) {
	root := repo.Root(t)
	forbidden := regexp.MustCompile(`(?i)aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secrets\.AWS_|AKIA[0-9A-Z]{16}`)
	scripts, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	for _, f := range loadWorkflows(t) {
		checkForbidden(t, f.Path, f.Source, forbidden)
		for id, job := range f.Workflow.Jobs {
			for _, st := range job.Steps {
				a, ok := st.Exec.(*actionlint.ExecAction)
				if !ok || !strings.HasPrefix(a.Uses.Value, awsCredentialsAction+"@") {
					continue
				}
				role, ok := a.Inputs["role-to-assume"]
				if !ok {
					t.Errorf("%s: job %s: configure-aws-credentials without role-to-assume", f.Name, id)
					continue
				}
				names, err := roleVariables(job, role.Value.Value)
				if err != nil {
					t.Errorf("%s: job %s: %v", f.Name, id, err)
				}
				for _, n := range names {
					if !regexp.MustCompile(`^AWS_[A-Z_]+_ROLE_ARN$`).MatchString(n) {
						t.Errorf("%s: job %s: role-to-assume from variable %s, want vars.AWS_*_ROLE_ARN", f.Name, id, n)
					}
				}
			}
		}
	}
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		checkForbidden(t, s, b, forbidden)
	}
}

func checkForbidden(tb testing.TB, path string, b []byte, re *regexp.Regexp) {
	tb.Helper()
	for i, line := range strings.Split(string(b), "\n") {
		if m := re.FindString(line); m != "" {
			tb.Errorf("%s:%d: %q: AWS keys are not allowed, use an OIDC role", filepath.Base(path), i+1, m)
		}
	}
}

// TestJobsHaveTimeout: every job that runs steps has timeout-minutes (a job
// calling a reusable workflow cannot; the callee's jobs have it).
func TestJobsHaveTimeout(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		for id, job := range f.Workflow.Jobs {
			if job.WorkflowCall != nil {
				continue
			}
			if job.TimeoutMinutes == nil {
				t.Errorf("%s: job %s has no timeout-minutes", f.Name, id)
			} else if job.TimeoutMinutes.Expression == nil && (job.TimeoutMinutes.Value <= 0 || job.TimeoutMinutes.Value > 60) {
				t.Errorf("%s: job %s: timeout-minutes %v, want 1..60", f.Name, id, job.TimeoutMinutes.Value)
			}
		}
	}
}

// TestWorkflowsHaveConcurrency: every workflow has a concurrency group.
func TestWorkflowsHaveConcurrency(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		if c := f.Workflow.Concurrency; c == nil || c.Group == nil || c.Group.Value == "" {
			t.Errorf("%s: no top-level concurrency group", f.Name)
		}
	}
}

// TestPathsFilters: push and pull_request triggers name the paths they are
// about, so a docs-only change does not deploy and an infra change does
// not rebuild the image.
func TestPathsFilters(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		for _, ev := range f.Workflow.On {
			w, ok := ev.(*actionlint.WebhookEvent)
			if !ok || (w.Hook.Value != "push" && w.Hook.Value != "pull_request") {
				continue
			}
			if w.Hook.Value == "push" && w.Tags != nil && w.Branches == nil && w.BranchesIgnore == nil {
				continue // tag pushes only: GitHub does not evaluate paths for tags
			}
			if w.Paths == nil && w.PathsIgnore == nil {
				t.Errorf("%s: on %s has no paths filter", f.Name, w.Hook.Value)
			}
		}
	}
}

// TestDeployByDigest: deploy.yml deploys through `make deploy-app`, the
// script the laptop path uses, with role and cluster from vars, and the
// script hands Helm image.digest, never image.tag.
func TestDeployByDigest(t *testing.T) {
	root := repo.Root(t)
	var deploy *File
	files := loadWorkflows(t)
	for i := range files {
		if files[i].Name == "deploy.yml" {
			deploy = &files[i]
		}
	}
	if deploy == nil {
		t.Fatal("no deploy.yml")
	}
	var runs []string
	for _, job := range deploy.Workflow.Jobs {
		for _, st := range job.Steps {
			if r, ok := st.Exec.(*actionlint.ExecRun); ok {
				runs = append(runs, r.Run.Value)
			}
		}
	}
	all := strings.Join(runs, "\n")
	if !slices.Contains(repo.MakeCalls(all), "deploy-app") {
		t.Errorf("deploy.yml does not run `make deploy-app`; its run: steps are:\n%s", all)
	}
	if strings.Contains(all, "helm upgrade") {
		t.Error("deploy.yml calls helm upgrade itself; it must go through make deploy-app (one path for CD and laptop)")
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "deploy-app.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`image\.digest=\$IMAGE_DIGEST`).Match(script) {
		t.Error("scripts/deploy-app.sh does not pass image.digest=$IMAGE_DIGEST to helm")
	}
	if regexp.MustCompile(`image\.tag=`).Match(script) {
		t.Error("scripts/deploy-app.sh passes image.tag to helm; deploy by digest only")
	}
}

// TestCheckoutDropsToken: no checkout leaves the job's token in .git/config
// where later steps (and anything they run) could read it.
func TestCheckoutDropsToken(t *testing.T) {
	n := 0
	for _, f := range loadWorkflows(t) {
		for id, job := range f.Workflow.Jobs {
			for _, st := range job.Steps {
				a, ok := st.Exec.(*actionlint.ExecAction)
				if !ok || !strings.HasPrefix(a.Uses.Value, "actions/checkout@") {
					continue
				}
				n++
				if in, ok := a.Inputs["persist-credentials"]; !ok || in.Value.Value != "false" {
					t.Errorf("%s: job %s: actions/checkout without persist-credentials: false", f.Name, id)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no checkout steps found")
	}
}

// TestNoExpressionsInRun: run: scripts get workflow values through env:,
// never ${{ }} pasted into the script, so no value (a branch name, an
// input) can inject shell.
func TestNoExpressionsInRun(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		for id, job := range f.Workflow.Jobs {
			for _, st := range job.Steps {
				if r, ok := st.Exec.(*actionlint.ExecRun); ok && strings.Contains(r.Run.Value, "${{") {
					t.Errorf("%s: job %s: a run: script contains ${{ }}; pass the value through env:", f.Name, id)
				}
			}
		}
	}
}
