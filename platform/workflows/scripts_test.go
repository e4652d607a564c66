package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// The deploy scripts run here against FAKE terraform, aws, kubectl, helm,
// docker, make, git and go: small bash scripts that append their argv to a
// log and print canned answers. PATH holds only the fakes and a handful of
// real basics (bash, sed, sort, ...), so a real kubectl or terraform on the
// machine can never be reached.

const (
	fakeRepoURL = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-dev"
	fakeDigest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	fakeALB     = "k8s-orders-0123456789.eu-west-1.elb.amazonaws.com"
	fakeToken   = "admin-token-from-the-secret"
	testSHA     = "0123456789abcdef0123456789abcdef01234567"
)

// fakes holds the canned behaviour of each fake tool. Behaviour is steered
// by files in $FAKE_STATE (what exists in "AWS") and FAKE_* variables.
var fakes = map[string]string{
	"terraform": `
case "$*" in
  *"output -raw"*) [ -z "${FAKE_TF_NO_STATE:-}" ] || { echo "No outputs found" >&2; exit 1; } ;;&
  version) echo "Terraform v${FAKE_TF_VERSION:-1.10.5}"; echo "on linux_amd64" ;;
  *"output -raw region") echo eu-west-1 ;;
  *"output -raw cluster_name") echo orders-dev ;;
  *"output -raw ecr_repository_url") echo ` + fakeRepoURL + ` ;;
  *"output -raw alb_hostname_command") echo "$FAKE_STATE/alb-hostname" ;;
  *"output -raw grafana_password_command") echo "kubectl -n monitoring get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d" ;;
  *bootstrap*" apply"*) touch "$FAKE_STATE/bucket" ;;
esac`,
	"aws": `
case "$1 ${2:-}" in
  "--version ") echo "${FAKE_AWS_VERSION:-aws-cli/2.17.0 Python/3.12.6 Linux/6.8 exe/x86_64}" ;;
  "sts get-caller-identity") [ -z "${FAKE_NO_CREDENTIALS:-}" ] || { echo "Unable to locate credentials" >&2; exit 255; }
    echo arn:aws:iam::123456789012:user/dev ;;
  "configure get") echo "${FAKE_AWS_CONFIG_REGION:-}" ;;
  "s3api head-bucket") [ -f "$FAKE_STATE/bucket" ] || { echo "An error occurred (404) when calling the HeadBucket operation: Not Found" >&2; exit 254; } ;;
  "ecr describe-images") if [ -f "$FAKE_STATE/image" ]; then echo ` + fakeDigest + `
    else echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: not found" >&2; exit 254; fi ;;
  "ecr get-login-password") echo not-a-real-password ;;
  "eks update-kubeconfig") echo "Updated context arn:aws:eks:eu-west-1:123456789012:cluster/orders-dev" ;;
esac`,
	"kubectl": `
case "$*" in
  *"get secret orders-secrets"*) printf '%s' "` + fakeToken + `" | base64 ;;
  *"get ingress orders"*) echo ` + fakeALB + ` ;;
esac`,
	"helm": `
case "$1" in
  version) echo "${FAKE_HELM_VERSION:-v3.16.2}" ;;
  status) [ -f "$FAKE_STATE/release" ] || { echo "Error: release: not found" >&2; exit 1; } ;;
  history) if [ -n "${FAKE_HELM_HISTORY:-}" ]; then echo "$FAKE_HELM_HISTORY"
    else echo '[{"revision":6,"status":"superseded"},{"revision":7,"status":"deployed"}]'; fi ;;
  upgrade) touch "$FAKE_STATE/release" ;;
  test) exit "${FAKE_HELM_TEST_RC:-0}" ;;
esac`,
	"docker": `
case "$1" in
  buildx) [ -z "${FAKE_NO_BUILDX:-}" ] || { echo "docker: 'buildx' is not a docker command." >&2; exit 1; }
    echo "github.com/docker/buildx v0.19.3" ;;
  info) [ -z "${FAKE_NO_ENGINE:-}" ] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; } ;;
  login) cat >/dev/null; echo "Login Succeeded" ;;
esac`,
	"make": `
echo "make-env SMOKE_ADMIN_TOKEN=${SMOKE_ADMIN_TOKEN:-}" >>"$FAKE_LOG"
case " $* " in
  *" image "*) touch "$FAKE_STATE/image" ;;
  *" smoke "*) exit "${FAKE_SMOKE_RC:-0}" ;;
esac`,
	"git": `
case "$*" in
  *"status --porcelain"*) printf '%s' "${FAKE_GIT_DIRTY:-}" ;;
  *"rev-parse HEAD"*) echo ` + testSHA + ` ;;
esac`,
	"go":             ``,
	"pre-destroy.sh": ``,
}

// basics are the real programs the scripts may use besides the fakes.
var basics = []string{"bash", "env", "sed", "grep", "sort", "head", "tail", "tr", "cat", "dirname", "basename", "base64", "touch", "mkdir", "rm", "seq", "sleep"}

type sandbox struct {
	root  string // a copy of the repository parts the scripts read
	state string
	log   string
	env   []string
}

// newSandbox copies scripts/ into a temporary repository with a backend.tf
// and a pre-destroy.sh, and builds PATH from the fakes (all, or only those
// named) and the basics.
func newSandbox(tb testing.TB, only ...string) *sandbox {
	tb.Helper()
	repoDir := repo.Root(tb)
	dir := tb.TempDir()
	s := &sandbox{
		root:  filepath.Join(dir, "repo"),
		state: filepath.Join(dir, "state"),
		log:   filepath.Join(dir, "argv.log"),
	}
	fakeBin, basicBin := filepath.Join(dir, "fakebin"), filepath.Join(dir, "basics")
	for _, d := range []string{s.state, fakeBin, basicBin, filepath.Join(s.root, "scripts"),
		filepath.Join(s.root, "infra", "envs", "dev"), filepath.Join(s.root, "infra", "scripts")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	scripts, err := filepath.Glob(filepath.Join(repoDir, "scripts", "*.sh"))
	if err != nil || len(scripts) == 0 {
		tb.Fatalf("no scripts in %s/scripts: %v", repoDir, err)
	}
	for _, p := range scripts {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		writeFile(tb, filepath.Join(s.root, "scripts", filepath.Base(p)), string(b), 0o755)
	}
	writeFile(tb, filepath.Join(s.root, "infra", "envs", "dev", "backend.tf"),
		"terraform {\n  backend \"s3\" {\n    bucket       = \"orderstack-tfstate-123456789012\"\n    key          = \"envs/dev/terraform.tfstate\"\n    use_lockfile = true\n  }\n}\n", 0o644)
	for name, body := range fakes {
		if len(only) > 0 && !slices.Contains(only, name) && name != "pre-destroy.sh" {
			continue
		}
		script := "#!/bin/bash\necho \"" + name + " $*\" >>\"$FAKE_LOG\"\n" + body + "\n"
		target := filepath.Join(fakeBin, name)
		if name == "pre-destroy.sh" {
			target = filepath.Join(s.root, "infra", "scripts", name)
		}
		writeFile(tb, target, script, 0o755)
	}
	for _, b := range basics {
		p, err := exec.LookPath(b)
		if err != nil {
			tb.Fatalf("this test needs %s: %v", b, err)
		}
		if err := os.Symlink(p, filepath.Join(basicBin, b)); err != nil {
			tb.Fatal(err)
		}
	}
	// The load balancer's name appears after FAKE_ALB_DELAY polls (0).
	writeFile(tb, filepath.Join(s.state, "alb-hostname"), `#!/bin/bash
n=$(cat "$FAKE_STATE/alb-polls" 2>/dev/null || echo 0)
echo $((n + 1)) >"$FAKE_STATE/alb-polls"
if [ "$n" -ge "${FAKE_ALB_DELAY:-0}" ]; then echo `+fakeALB+`; fi
`, 0o755)
	s.env = []string{
		"PATH=" + fakeBin + ":" + basicBin,
		"HOME=" + dir,
		"FAKE_LOG=" + s.log,
		"FAKE_STATE=" + s.state,
		"AWS_REGION=eu-west-1",
	}
	return s
}

func writeFile(tb testing.TB, path, content string, mode os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
}

func (s *sandbox) touch(tb testing.TB, name string) {
	tb.Helper()
	writeFile(tb, filepath.Join(s.state, name), "", 0o644)
}

// run runs scripts/<script> with extra environment; it returns the
// combined output and the exit code.
func (s *sandbox) run(tb testing.TB, script string, env ...string) (string, int) {
	tb.Helper()
	cmd := exec.Command(filepath.Join(s.root, "scripts", script))
	cmd.Env = append(slices.Clone(s.env), env...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			tb.Fatalf("run %s: %v", script, err)
		}
		code = ee.ExitCode()
	}
	tb.Logf("%s (exit %d):\n%s", script, code, out)
	return string(out), code
}

// calls returns the logged argv lines, one per call.
func (s *sandbox) calls(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(s.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// index returns the position of the first call at or after from matching
// re, or -1.
func index(calls []string, from int, re string) int {
	r := regexp.MustCompile(re)
	for i := from; i < len(calls); i++ {
		if r.MatchString(calls[i]) {
			return i
		}
	}
	return -1
}

// wantInOrder checks that calls match the patterns in this order.
func wantInOrder(tb testing.TB, calls []string, patterns ...string) {
	tb.Helper()
	at := 0
	for _, p := range patterns {
		i := index(calls, at, p)
		if i < 0 {
			tb.Fatalf("no call matching %q after call %d; calls:\n%s", p, at, strings.Join(calls, "\n"))
		}
		at = i + 1
	}
}

func linesMentioning(out, word string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(word) + `\b`).MatchString(l) {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestPreflightNamesEachMissingToolOnce(t *testing.T) {
	s := newSandbox(t, "none") // no fake at all: every tool is missing
	out, code := s.run(t, "preflight.sh", "AWS_REGION=")
	if code != 1 {
		t.Errorf("preflight.sh exit = %d, want 1", code)
	}
	for _, tool := range []string{"terraform", "aws", "kubectl", "helm", "docker", "git", "make", "go"} {
		lines := linesMentioning(out, tool+" is missing")
		if len(lines) != 1 {
			t.Errorf("lines naming missing %s = %q, want exactly one", tool, lines)
		}
	}
	if lines := linesMentioning(out, "region"); len(lines) != 1 {
		t.Errorf("lines about the region = %q, want one", lines)
	}
	// 8 tools + region, and the summary; no identity check without aws.
	if got := len(linesMentioning(out, "preflight")); got != 10 {
		t.Errorf("preflight printed %d lines, want 9 problems + 1 summary", got)
	}
	if !strings.Contains(out, "preflight: 9 problem(s)") {
		t.Errorf("no summary counting 9 problems")
	}
}

func TestPreflightVersionsAndAccess(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string // the one problem line
	}{
		{"old terraform", []string{"FAKE_TF_VERSION=1.9.8"}, "terraform 1.9.8 is too old: need >= 1.10.0"},
		{"old helm", []string{"FAKE_HELM_VERSION=v3.13.3"}, "helm 3.13.3 is too old: need >= 3.14.0"},
		{"aws v1", []string{"FAKE_AWS_VERSION=aws-cli/1.33.2 Python/3.11"}, "aws CLI 1.33.2 is not v2"},
		{"no buildx", []string{"FAKE_NO_BUILDX=1"}, "docker buildx is missing"},
		{"engine down", []string{"FAKE_NO_ENGINE=1"}, "docker engine is not running"},
		{"no credentials", []string{"FAKE_NO_CREDENTIALS=1"}, "AWS credentials do not work"},
		{"no region", []string{"AWS_REGION=", "AWS_DEFAULT_REGION="}, "AWS region is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			out, code := s.run(t, "preflight.sh", tt.env...)
			if code != 1 {
				t.Errorf("exit = %d, want 1", code)
			}
			if !strings.Contains(out, "preflight: "+tt.want) {
				t.Errorf("output lacks %q", tt.want)
			}
			if !strings.Contains(out, "preflight: 1 problem(s)") {
				t.Errorf("want exactly one problem reported")
			}
		})
	}
	t.Run("all good", func(t *testing.T) {
		s := newSandbox(t)
		out, code := s.run(t, "preflight.sh", "AWS_REGION=", "FAKE_AWS_CONFIG_REGION=eu-central-1")
		if code != 0 {
			t.Fatalf("exit = %d, want 0", code)
		}
		for _, want := range []string{"preflight: ok", "terraform 1.10.5", "aws-cli 2.17.0", "helm 3.16.2", "region eu-central-1", "arn:aws:iam::123456789012:user/dev"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
	})
}

func TestDeployPhasesInOrder(t *testing.T) {
	s := newSandbox(t)
	// The shell's region differs from the environment's: Terraform's wins.
	out, code := s.run(t, "deploy.sh", "ENV=dev", "AUTO_APPROVE=1", "AWS_REGION=us-east-1")
	if code != 0 {
		t.Fatalf("deploy.sh exit = %d, want 0", code)
	}
	calls := s.calls(t)
	wantInOrder(t, calls,
		`^terraform version$`,          // preflight
		`^aws sts get-caller-identity`, // preflight
		`^git -C \S+ rev-parse HEAD$`,  // the image tag
		`^aws s3api head-bucket --bucket orderstack-tfstate-123456789012$`,
		`^terraform -chdir=\S+/infra/bootstrap init`, // bucket missing: bootstrap
		`^terraform -chdir=\S+/infra/bootstrap apply -input=false -auto-approve$`,
		`^terraform -chdir=\S+/infra/envs/dev init`,
		`^terraform -chdir=\S+/infra/envs/dev apply -input=false -auto-approve$`,
		`^aws eks update-kubeconfig --region eu-west-1 --name orders-dev$`,
		`^aws ecr describe-images --region eu-west-1 --repository-name orders-dev --image-ids imageTag=`+testSHA,
		`^docker login --username AWS --password-stdin 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com$`,
		`^make .*\bimage IMAGE=`+regexp.QuoteMeta(fakeRepoURL)+` VERSION=`+testSHA+` .*IMAGE_OUTPUT=--push --provenance=mode=max --sbom=true`,
		`^make .*\bmongodb-secret ENV=dev$`,
		`^helm upgrade --install orders \S+/deploy/helm/orders `,
		`^helm test orders --namespace orders`,
		`^make .*\bsmoke BASE_URL=http://`+regexp.QuoteMeta(fakeALB)+` `,
	)
	// Phases are announced in order, each with its duration.
	var phases []string
	for _, m := range regexp.MustCompile(`(?m)^==> \[\d+\] (.*)$`).FindAllStringSubmatch(out, -1) {
		phases = append(phases, m[1])
	}
	wantPhases := []string{"preflight", "terraform state", "infrastructure (terraform apply infra/envs/dev)",
		"image " + testSHA, "MongoDB secret", "app (helm by digest, helm test, smoke test)",
		"resolve image and cluster", "helm upgrade orders (by digest)", "helm test and smoke test"}
	if !slices.Equal(phases, wantPhases) {
		t.Errorf("phases = %q, want %q", phases, wantPhases)
	}
	if got := len(regexp.MustCompile(`(?m)^    .*: done in \d+s$`).FindAllString(out, -1)); got != len(wantPhases) {
		t.Errorf("%d phases report their duration, want %d", got, len(wantPhases))
	}
	for _, want := range []string{"==> dev is up in ", "API:      http://" + fakeALB + "/api/v1/products", "Grafana:", "password: kubectl -n monitoring get secret grafana-admin", "MongoDB:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// The admin token reaches the smoke test through the environment only.
	if i := index(calls, 0, `^make-env SMOKE_ADMIN_TOKEN=`+fakeToken+`$`); i < 0 {
		t.Errorf("make smoke did not get SMOKE_ADMIN_TOKEN from the Secret")
	}
	if strings.Contains(strings.Join(calls, "\n"), "-admin-token") || strings.Contains(out, fakeToken) {
		t.Errorf("the admin token appears on a command line or in the output")
	}
}

// TestDeployHelmGetsDigest: Helm gets the repository and the sha256 digest
// the registry reported, never a tag.
func TestDeployHelmGetsDigest(t *testing.T) {
	s := newSandbox(t)
	if _, code := s.run(t, "deploy.sh", "ENV=dev", "AUTO_APPROVE=1", "IMAGE_TAG="+testSHA); code != 0 {
		t.Fatalf("deploy.sh exit = %d, want 0", code)
	}
	calls := s.calls(t)
	i := index(calls, 0, `^helm upgrade `)
	if i < 0 {
		t.Fatal("helm upgrade was not called")
	}
	upgrade := calls[i]
	for _, want := range []string{
		"--set-string image.digest=" + fakeDigest,
		"--set-string image.repository=" + fakeRepoURL,
		"--values " + s.root + "/deploy/helm/orders/values-dev.yaml",
		"--namespace orders", "--atomic", "--wait", "--timeout 10m",
	} {
		if !strings.Contains(upgrade, want) {
			t.Errorf("helm upgrade lacks %q:\n%s", want, upgrade)
		}
	}
	if strings.Contains(upgrade, "image.tag") {
		t.Errorf("helm upgrade sets image.tag:\n%s", upgrade)
	}
}

// TestDeployWaitsForLoadBalancer: on a first deploy the Ingress has no
// hostname for a while; the smoke test starts once it has one, and a
// hostname that never comes fails (and rolls back) after ALB_WAIT.
func TestDeployWaitsForLoadBalancer(t *testing.T) {
	s := newSandbox(t)
	s.touch(t, "image")
	out, code := s.run(t, "deploy-app.sh", "ENV=dev", "IMAGE_TAG="+testSHA, "FAKE_ALB_DELAY=2", "ALB_POLL=0")
	if code != 0 {
		t.Fatalf("deploy-app.sh exit = %d, want 0", code)
	}
	if got := strings.Count(out, "waiting for the load balancer's hostname"); got != 2 {
		t.Errorf("waited %d times, want 2", got)
	}
	wantInOrder(t, s.calls(t), `^helm test`, `^make .*smoke BASE_URL=http://`+regexp.QuoteMeta(fakeALB)+` `)

	s = newSandbox(t)
	s.touch(t, "image")
	s.touch(t, "release")
	out, code = s.run(t, "deploy-app.sh", "ENV=dev", "IMAGE_TAG="+testSHA, "FAKE_ALB_DELAY=1000", "ALB_POLL=0.2", "ALB_WAIT=1")
	if code == 0 || !strings.Contains(out, "the load balancer has no hostname after 1s") {
		t.Errorf("exit %d, want failure naming the missing hostname", code)
	}
	wantInOrder(t, s.calls(t), `^helm upgrade`, `^helm rollback orders 7 `)
	if i := index(s.calls(t), 0, `^make .*smoke`); i >= 0 {
		t.Errorf("ran the smoke test without a URL: %s", s.calls(t)[i])
	}
}

func TestDeployRerunSkipsExistingImage(t *testing.T) {
	s := newSandbox(t)
	if _, code := s.run(t, "deploy.sh", "ENV=dev", "AUTO_APPROVE=1", "IMAGE_TAG="+testSHA); code != 0 {
		t.Fatalf("first deploy.sh exit = %d, want 0", code)
	}
	first := len(s.calls(t))
	out, code := s.run(t, "deploy.sh", "ENV=dev", "AUTO_APPROVE=1", "IMAGE_TAG="+testSHA)
	if code != 0 {
		t.Fatalf("second deploy.sh exit = %d, want 0", code)
	}
	second := s.calls(t)[first:]
	for _, unwanted := range []string{`^make .*\bimage\b`, `^docker login`, `^terraform -chdir=\S+/infra/bootstrap`} {
		if i := index(second, 0, unwanted); i >= 0 {
			t.Errorf("re-run called %q", second[i])
		}
	}
	if !strings.Contains(out, fakeRepoURL+":"+testSHA+" already in ECR: skipping build and push") {
		t.Error("re-run does not say it skipped the push")
	}
	if !strings.Contains(out, "state bucket orderstack-tfstate-123456789012 exists") {
		t.Error("re-run does not say the state bucket exists")
	}
	wantInOrder(t, second, `^terraform -chdir=\S+/infra/envs/dev apply`, `^helm upgrade --install orders `, `^make .*\bsmoke `)
}

func TestDeployRefusesDirtyTree(t *testing.T) {
	s := newSandbox(t)
	out, code := s.run(t, "deploy.sh", "ENV=dev", "FAKE_GIT_DIRTY= M backend/main.go")
	if code == 0 || !strings.Contains(out, "uncommitted changes") {
		t.Errorf("deploy.sh on a dirty tree: exit %d, want 1 naming the uncommitted changes", code)
	}
	if i := index(s.calls(t), 0, `^terraform -chdir`); i >= 0 {
		t.Errorf("deploy.sh touched Terraform on a dirty tree")
	}
}

func TestDeployStopsAtFailedPreflight(t *testing.T) {
	s := newSandbox(t)
	out, code := s.run(t, "deploy.sh", "ENV=dev", "FAKE_TF_VERSION=1.5.7")
	if code == 0 {
		t.Fatal("deploy.sh exit = 0 with terraform 1.5.7, want failure")
	}
	if !strings.Contains(out, "==> FAILED in phase 'preflight'") {
		t.Errorf("output does not name the failed phase")
	}
	if i := index(s.calls(t), 0, `^terraform -chdir`); i >= 0 {
		t.Errorf("deploy.sh went on after the preflight failed: %s", s.calls(t)[i])
	}
}

func TestScriptsRejectBadEnv(t *testing.T) {
	for _, script := range []string{"deploy.sh", "deploy-app.sh", "destroy.sh"} {
		s := newSandbox(t)
		out, code := s.run(t, script, "ENV=staging")
		if code != 1 || !strings.Contains(out, "ENV must be dev or prod (got 'staging')") {
			t.Errorf("%s ENV=staging: exit %d, want 1 with a clear message", script, code)
		}
		if len(s.calls(t)) != 0 {
			t.Errorf("%s ENV=staging called tools: %q", script, s.calls(t))
		}
	}
}

// deployApp runs deploy-app.sh the way deploy.yml does: settings from the
// GitHub environment variables, no Terraform.
func deployApp(t *testing.T, s *sandbox, env ...string) (string, int) {
	t.Helper()
	base := []string{"ENV=prod", "IMAGE_TAG=" + testSHA, "EKS_CLUSTER_NAME=orders-prod", "ECR_REPOSITORY_URL=" + fakeRepoURL,
		"PUBLIC_BASE_URL=https://orders.example.com/", "GITHUB_ACTIONS=true"}
	return s.run(t, "deploy-app.sh", append(base, env...)...)
}

func TestDeployAppLikeCI(t *testing.T) {
	s := newSandbox(t)
	s.touch(t, "image")
	out, code := deployApp(t, s, "GITHUB_STEP_SUMMARY="+filepath.Join(s.state, "summary.md"))
	if code != 0 {
		t.Fatalf("deploy-app.sh exit = %d, want 0", code)
	}
	calls := s.calls(t)
	if i := index(calls, 0, `^terraform`); i >= 0 {
		t.Errorf("deploy-app.sh called Terraform although every setting was given: %s", calls[i])
	}
	wantInOrder(t, calls, `^aws ecr describe-images .*imageTag=`+testSHA, `^helm upgrade --install orders .*image\.digest=`+fakeDigest,
		`^helm test orders`, `^make .*smoke BASE_URL=https://orders\.example\.com SMOKE_TIMEOUT=5m$`)
	if !strings.Contains(out, "::add-mask::"+fakeToken) {
		t.Error("the admin token is not masked in the GitHub Actions log")
	}
	summary, err := os.ReadFile(filepath.Join(s.state, "summary.md"))
	if err != nil || !strings.Contains(string(summary), fakeRepoURL+"@"+fakeDigest) {
		t.Errorf("step summary = %q, %v; want the deployed digest", summary, err)
	}
}

// TestDeployAppWithoutURLOrTerraform: a CI deploy whose environment has no
// PUBLIC_BASE_URL yet asks the Ingress itself.
func TestDeployAppWithoutURLOrTerraform(t *testing.T) {
	s := newSandbox(t)
	s.touch(t, "image")
	if _, code := deployApp(t, s, "PUBLIC_BASE_URL=", "FAKE_TF_NO_STATE=1"); code != 0 {
		t.Fatalf("deploy-app.sh exit = %d, want 0", code)
	}
	wantInOrder(t, s.calls(t), `^kubectl -n orders get ingress orders -o jsonpath=`, `^make .*smoke BASE_URL=http://`+regexp.QuoteMeta(fakeALB)+` `)
}

func TestDeployAppRollsBack(t *testing.T) {
	tests := []struct {
		name, env, want string
	}{
		{"smoke test fails", "FAKE_SMOKE_RC=1", "failed the smoke test: rolled back"},
		{"helm test fails", "FAKE_HELM_TEST_RC=1", "failed helm test: rolled back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			s.touch(t, "image")
			s.touch(t, "release") // revision 7 is running, 6 before it
			out, code := deployApp(t, s, tt.env)
			if code == 0 {
				t.Fatal("deploy-app.sh exit = 0, want failure")
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q", tt.want)
			}
			wantInOrder(t, s.calls(t), `^helm upgrade `, `^helm rollback orders 7 --namespace orders --wait`)
		})
	}
	t.Run("a failed revision is not a target", func(t *testing.T) {
		s := newSandbox(t)
		s.touch(t, "image")
		s.touch(t, "release")
		history := `[{"revision":7,"updated":"2026-11-20T10:00:00Z","status":"deployed","chart":"orders-0.1.0"},` +
			`{"revision":8,"updated":"2026-11-21T10:00:00Z","status":"failed","chart":"orders-0.1.0"}]`
		if _, code := deployApp(t, s, "FAKE_SMOKE_RC=1", "FAKE_HELM_HISTORY="+history); code == 0 {
			t.Fatal("deploy-app.sh exit = 0, want failure")
		}
		wantInOrder(t, s.calls(t), `^helm history orders`, `^helm upgrade `, `^helm rollback orders 7 `)
	})
	t.Run("first install cannot roll back", func(t *testing.T) {
		s := newSandbox(t)
		s.touch(t, "image")
		out, code := deployApp(t, s, "FAKE_SMOKE_RC=1")
		if code == 0 {
			t.Fatal("deploy-app.sh exit = 0, want failure")
		}
		if !strings.Contains(out, "no previous revision to roll back to") {
			t.Error("output does not explain the missing rollback")
		}
		if i := index(s.calls(t), 0, `^helm rollback`); i >= 0 {
			t.Errorf("rolled back a first install: %s", s.calls(t)[i])
		}
	})
}

func TestDeployAppNeedsTheImage(t *testing.T) {
	s := newSandbox(t)
	out, code := deployApp(t, s) // no image in the fake ECR
	if code != 1 || !strings.Contains(out, "image "+fakeRepoURL+":"+testSHA+" does not exist") {
		t.Errorf("exit %d, want 1 naming the missing image", code)
	}
	if i := index(s.calls(t), 0, `^helm`); i >= 0 {
		t.Errorf("called helm without an image: %s", s.calls(t)[i])
	}
	out, code = deployApp(t, newSandbox(t), "IMAGE_DIGEST=sha256:abc")
	if code != 1 || !strings.Contains(out, "is not sha256:<64 hex digits>") {
		t.Errorf("IMAGE_DIGEST=sha256:abc: exit %d, want 1 rejecting the digest", code)
	}
}

func TestDestroyCleansKubernetesFirst(t *testing.T) {
	s := newSandbox(t)
	out, code := s.run(t, "destroy.sh", "ENV=dev", "AUTO_APPROVE=1")
	if code != 0 {
		t.Fatalf("destroy.sh exit = %d, want 0", code)
	}
	wantInOrder(t, s.calls(t),
		`^terraform version$`,
		`^aws eks update-kubeconfig --region eu-west-1 --name orders-dev$`,
		`^pre-destroy\.sh dev$`,
		`^terraform -chdir=\S+/infra/envs/dev destroy -input=false -auto-approve$`)
	if !strings.Contains(out, "==> dev destroyed in ") {
		t.Error("no closing line")
	}
	// Without AUTO_APPROVE it asks, and an empty answer destroys nothing.
	s2 := newSandbox(t)
	out, code = s2.run(t, "destroy.sh", "ENV=dev")
	if code == 0 || !strings.Contains(out, "not confirmed: nothing destroyed") {
		t.Errorf("unconfirmed destroy: exit %d, want 1 saying nothing was destroyed", code)
	}
	if len(s2.calls(t)) != 0 {
		t.Errorf("unconfirmed destroy called %q", s2.calls(t))
	}
}

// TestScriptsParse: bash -n on every script, and shellcheck when installed.
func TestScriptsParse(t *testing.T) {
	root := repo.Root(t)
	scripts, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	for _, p := range scripts {
		if out, err := exec.Command("bash", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", filepath.Base(p), err, out)
		}
		b, _ := os.ReadFile(p)
		if strings.HasPrefix(string(b), "#!") && !strings.Contains(string(b), "set -euo pipefail") {
			t.Errorf("%s: an executable script without set -euo pipefail", filepath.Base(p))
		}
	}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		cmd := exec.Command(sc, append([]string{"-x"}, scripts...)...)
		cmd.Dir = filepath.Join(root, "scripts")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck: %v\n%s", err, out)
		}
	} else {
		t.Log("shellcheck not installed: bash -n only")
	}
}

// TestDeployLetsTerraformAsk: without AUTO_APPROVE, terraform apply gets no
// -auto-approve, so it shows the plan and asks.
func TestDeployLetsTerraformAsk(t *testing.T) {
	s := newSandbox(t)
	s.touch(t, "bucket")
	if _, code := s.run(t, "deploy.sh", "ENV=dev", "IMAGE_TAG="+testSHA); code != 0 {
		t.Fatalf("deploy.sh exit = %d, want 0", code)
	}
	wantInOrder(t, s.calls(t), `^terraform -chdir=\S+/infra/envs/dev apply -input=false$`)
}
