package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// The deploy scripts run here against the fakes of testdata/fakes (terraform, aws, kubectl, helm,
// docker, make, git, go): bash that logs its argv and answers like the real tool, steered by files
// in $FAKE_STATE and FAKE_* variables. PATH is a clisandbox: only the fakes and a handful of real
// basics, so a real kubectl or terraform on the machine can never be reached.

const (
	fakeRegistry = FakeAccount + ".dkr.ecr.eu-west-1.amazonaws.com"
	fakeRepoURL  = fakeRegistry + "/orderstack-dev/orders" // terraform's output ecr_repository_url
	prodRepoURL  = fakeRegistry + "/orderstack-prod/orders"
	fakeDigest   = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" // what make image pushes
	otherDigest  = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	fakeALB      = "k8s-orders-0123456789.eu-west-1.elb.amazonaws.com" // testdata/alb-hostname, kubectl
	fakeToken    = "admin-token-from-the-secret"                       // kubectl's orders-secrets
	testSHA      = "0123456789abcdef0123456789abcdef01234567"          // git rev-parse HEAD
	devRepo      = "orderstack-dev/orders"
)

type sandbox struct {
	*clisandbox.Sandbox
	root string // a copy of the repository parts the scripts read
}

// newSandbox copies scripts/ into a temporary repository with <env>.s3.tfbackend files and a fake
// pre-destroy.sh, and builds the closed PATH from the fakes (all, or only those named).
func newSandbox(tb testing.TB, only ...string) *sandbox {
	tb.Helper()
	s := &sandbox{Sandbox: clisandbox.New(tb)}
	s.root = filepath.Join(s.Home, "repo")
	scripts, _ := filepath.Glob(filepath.Join(repo.Root(tb), "scripts", "*.sh"))
	if len(scripts) == 0 {
		tb.Fatal("no scripts/*.sh")
	}
	for _, p := range scripts {
		write(tb, filepath.Join(s.root, "scripts", filepath.Base(p)), string(must(os.ReadFile(p))), 0o755)
	}
	for _, env := range []string{"dev", "prod"} {
		write(tb, filepath.Join(s.root, "infra", "envs", env+".s3.tfbackend"),
			"bucket       = \"orderstack-tfstate-123456789012\"\nkey          = \"orderstack/"+env+"/terraform.tfstate\"\nuse_lockfile = true\n", 0o644)
	}
	write(tb, filepath.Join(s.root, "infra", "scripts", "pre-destroy.sh"), "#!/bin/bash\necho \"pre-destroy.sh $*\" >>\"$FAKE_LOG\"\n", 0o755)
	for _, name := range []string{"terraform", "aws", "kubectl", "helm", "docker", "make", "git", "go"} {
		if len(only) == 0 || slices.Contains(only, name) {
			body := ""
			if b, err := os.ReadFile(filepath.Join("testdata", "fakes", name)); err == nil {
				body = string(b)
			}
			s.Fake(tb, name, body)
		}
	}
	s.Real(tb, clisandbox.Basics...)
	write(tb, filepath.Join(s.State, "alb-hostname"), string(must(os.ReadFile("testdata/alb-hostname"))), 0o755)
	write(tb, filepath.Join(s.State, "iam.sh"), string(must(os.ReadFile("testdata/iam.sh"))), 0o644)
	s.Setenv("AWS_REGION=eu-west-1")
	return s
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func write(tb testing.TB, path, content string, mode os.FileMode) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
}

// image puts REPOSITORY:TAG = DIGEST into the fake ECR; tagOf reads it back ("" when absent).
func (s *sandbox) image(tb testing.TB, repository, tag, digest string) {
	write(tb, filepath.Join(s.State, "ecr", repository, tag), digest+"\n", 0o644)
}

func (s *sandbox) tagOf(repository, tag string) string {
	b, _ := os.ReadFile(filepath.Join(s.State, "ecr", repository, tag))
	return strings.TrimSpace(string(b))
}

// run runs scripts/<script> with extra environment: the combined output and the exit code.
func (s *sandbox) run(tb testing.TB, script string, env ...string) (string, int) {
	tb.Helper()
	r := s.Run(tb, filepath.Join(s.root, "scripts", script), nil, env...)
	return r.Output, r.Code
}

// inOrder: the fakes were called with matches of the patterns, in this order.
func (s *sandbox) inOrder(tb testing.TB, patterns ...string) {
	tb.Helper()
	if err := clisandbox.InOrder(s.Calls(tb), patterns...); err != nil {
		tb.Fatal(err)
	}
}

// never: no call from the from-th on matches re.
func (s *sandbox) never(tb testing.TB, from int, re, why string) {
	tb.Helper()
	if i := clisandbox.Index(s.Calls(tb), from, re); i >= 0 {
		tb.Errorf("%s: %s", why, s.Calls(tb)[i])
	}
}

func wantAll(tb testing.TB, out string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			tb.Errorf("output lacks %q", w)
		}
	}
}

func TestPreflightNamesEachMissingToolOnce(t *testing.T) {
	out, code := newSandbox(t, "none").run(t, "preflight.sh", "AWS_REGION=") // every tool missing
	if code != 1 {
		t.Errorf("preflight.sh exit = %d, want 1", code)
	}
	count := func(word string) int {
		return len(regexp.MustCompile(`(?m)^.*\b`+regexp.QuoteMeta(word)+`\b.*$`).FindAllString(out, -1))
	}
	for _, tool := range []string{"terraform", "aws", "kubectl", "helm", "docker", "git", "make", "go"} {
		if n := count(tool + " is missing"); n != 1 {
			t.Errorf("%d lines name missing %s, want exactly one", n, tool)
		}
	}
	// 8 tools + region, and the summary; no identity check without aws.
	if count("region") != 1 || count("preflight") != 10 || !strings.Contains(out, "preflight: 9 problem(s)") {
		t.Errorf("want one line about the region, 9 problems and a summary counting them")
	}
}

func TestPreflightVersionsAndAccess(t *testing.T) {
	for _, tt := range []struct{ name, env, want string }{
		{"old terraform", "FAKE_TF_VERSION=1.9.8", "terraform 1.9.8 is too old: need >= 1.10.0"},
		{"terraform 2", "FAKE_TF_VERSION=2.0.0", "terraform 2.0.0 is too new: the roots allow >= 1.10.0, < 2.0.0"},
		{"old helm", "FAKE_HELM_VERSION=v3.13.3", "helm 3.13.3 is too old: need >= 3.14.0"},
		{"aws v1", "FAKE_AWS_VERSION=aws-cli/1.33.2 Python/3.11", "aws CLI 1.33.2 is not v2"},
		{"no buildx", "FAKE_NO_BUILDX=1", "docker buildx is missing"},
		{"engine down", "FAKE_NO_ENGINE=1", "docker engine is not running"},
		{"no credentials", "FAKE_NO_CREDENTIALS=1", "AWS credentials do not work"},
		{"no region", "AWS_REGION=", "AWS region is not set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, code := newSandbox(t).run(t, "preflight.sh", tt.env, "AWS_DEFAULT_REGION=")
			if code != 1 {
				t.Errorf("exit = %d, want 1", code)
			}
			wantAll(t, out, "preflight: "+tt.want, "preflight: 1 problem(s)")
		})
	}
	t.Run("all good", func(t *testing.T) {
		out, code := newSandbox(t).run(t, "preflight.sh", "AWS_REGION=", "FAKE_AWS_CONFIG_REGION=eu-central-1")
		if code != 0 {
			t.Fatalf("exit = %d, want 0", code)
		}
		wantAll(t, out, "preflight: ok", "terraform 1.10.5", "aws-cli 2.17.0", "helm 3.16.2", "region eu-central-1", "arn:aws:iam::123456789012:user/dev")
	})
}

func TestDeployPhasesInOrder(t *testing.T) {
	s := newSandbox(t)
	// The shell's region differs from the environment's: Terraform's wins.
	out, code := s.run(t, "deploy.sh", "ENV=dev", "AUTO_APPROVE=1", "AWS_REGION=us-east-1")
	if code != 0 {
		t.Fatalf("deploy.sh exit = %d, want 0", code)
	}
	s.inOrder(t,
		`^terraform version$`,          // preflight
		`^aws sts get-caller-identity`, // preflight
		`^git -C \S+ rev-parse HEAD$`,  // the image tag
		`^aws s3api head-bucket --bucket orderstack-tfstate-123456789012$`,
		`^terraform -chdir=\S+/infra/bootstrap init`, // bucket missing: bootstrap
		`^terraform -chdir=\S+/infra/bootstrap apply -input=false -auto-approve$`,
		`^terraform -chdir=\S+/infra/envs init -backend-config=dev.s3.tfbackend -input=false$`,
		`^terraform -chdir=\S+/infra/envs apply -var-file=dev.tfvars -input=false -auto-approve$`,
		`^aws eks update-kubeconfig --region eu-west-1 --name orderstack-dev$`,
		`^aws ecr describe-images --region eu-west-1 --repository-name orderstack-dev/orders --image-ids imageTag=`+testSHA,
		`^docker login --username AWS --password-stdin 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com$`,
		`^make .*\bimage IMAGE=`+regexp.QuoteMeta(fakeRepoURL)+` VERSION=`+testSHA+` .*IMAGE_OUTPUT=--push --provenance=mode=max --sbom=true`,
		`^make .*\bmongodb-secret ENV=dev$`,
		`^helm upgrade --install orders \S+/deploy/helm/orders `,
		`^helm test orders --namespace orders`,
		`^make .*\bsmoke BASE_URL=http://`+regexp.QuoteMeta(fakeALB)+` `,
		// The admin token reaches the smoke test through the environment only.
		`^make-env SMOKE_ADMIN_TOKEN=`+fakeToken+`$`,
	)
	// Phases are announced in order, each with its duration.
	var phases []string
	for _, m := range regexp.MustCompile(`(?m)^==> \[\d+\] (.*)$`).FindAllStringSubmatch(out, -1) {
		phases = append(phases, m[1])
	}
	wantPhases := []string{"preflight", "terraform state", "infrastructure (terraform apply infra/envs, dev.tfvars)",
		"image " + testSHA, "MongoDB secret", "app (helm by digest, helm test, smoke test)",
		"resolve image and cluster", "helm upgrade orders (by digest)", "helm test and smoke test", "record the tested image"}
	if !slices.Equal(phases, wantPhases) {
		t.Errorf("phases = %q, want %q", phases, wantPhases)
	}
	if got := len(regexp.MustCompile(`(?m)^    .*: done in \d+s$`).FindAllString(out, -1)); got != len(wantPhases) {
		t.Errorf("%d phases report their duration, want %d", got, len(wantPhases))
	}
	wantAll(t, out, "==> dev is up in ", "API:      http://"+fakeALB+"/api/v1/products", "Grafana:", "password: kubectl -n monitoring get secret grafana-admin", "MongoDB:")
	s.never(t, 0, `^(terraform|aws|kubectl|helm|docker|make|git|go) .*(-admin-token|`+fakeToken+`)`, "the admin token is on a command line")
	if strings.Contains(out, fakeToken) {
		t.Errorf("the admin token is in the output")
	}
	// Helm gets the repository and the digest the registry reported, never a tag.
	s.inOrder(t, `^helm upgrade .*--set-string image\.digest=`+fakeDigest)
	up := s.Calls(t)[clisandbox.Index(s.Calls(t), 0, `^helm upgrade `)]
	for _, want := range []string{"--set-string image.repository=" + fakeRepoURL, "--values " + s.root + "/deploy/helm/orders/values-dev.yaml",
		"--namespace orders", "--atomic", "--wait", "--timeout 10m"} {
		if !strings.Contains(up, want) {
			t.Errorf("helm upgrade lacks %q:\n%s", want, up)
		}
	}
	if strings.Contains(up, "image.tag") {
		t.Errorf("helm upgrade sets image.tag:\n%s", up)
	}

	// A re-run skips the existing image and the existing bucket.
	first := len(s.Calls(t))
	if out, code = s.run(t, "deploy.sh", "ENV=dev", "AUTO_APPROVE=1", "IMAGE_TAG="+testSHA); code != 0 {
		t.Fatalf("second deploy.sh exit = %d, want 0", code)
	}
	s.never(t, first, `^make .*\bimage\b|^docker login|^terraform -chdir=\S+/infra/bootstrap`, "the re-run built or bootstrapped again")
	wantAll(t, out, fakeRepoURL+":"+testSHA+" already in ECR: skipping build and push", "state bucket orderstack-tfstate-123456789012 exists")
}

// TestDeployWaitsForLoadBalancer: on a first deploy the Ingress has no hostname for a while; the
// smoke test starts once it has one, and a hostname that never comes fails (and rolls back).
func TestDeployWaitsForLoadBalancer(t *testing.T) {
	s := newSandbox(t)
	s.image(t, devRepo, testSHA, fakeDigest)
	out, code := s.run(t, "deploy-app.sh", "ENV=dev", "IMAGE_TAG="+testSHA, "FAKE_ALB_DELAY=2", "ALB_POLL=0")
	if code != 0 || strings.Count(out, "waiting for the load balancer's hostname") != 2 {
		t.Errorf("exit %d; want 0 after waiting twice", code)
	}
	s.inOrder(t, `^helm test`, `^make .*smoke BASE_URL=http://`+regexp.QuoteMeta(fakeALB)+` `)

	s = newSandbox(t)
	s.image(t, devRepo, testSHA, fakeDigest)
	write(t, filepath.Join(s.State, "release"), "", 0o644)
	out, code = s.run(t, "deploy-app.sh", "ENV=dev", "IMAGE_TAG="+testSHA, "FAKE_ALB_DELAY=1000", "ALB_POLL=0.2", "ALB_WAIT=1")
	if code == 0 || !strings.Contains(out, "the load balancer has no hostname after 1s") {
		t.Errorf("exit %d, want failure naming the missing hostname", code)
	}
	s.inOrder(t, `^helm upgrade`, `^helm rollback orders 7 `)
	s.never(t, 0, `^make .*smoke`, "ran the smoke test without a URL")
}

// TestDeployRefuses: the scripts stop before touching anything on a dirty tree, a failed
// preflight, a bad ENV, or an unconfirmed destroy; without AUTO_APPROVE terraform asks.
func TestDeployRefuses(t *testing.T) {
	const nothing = "." // no call at all
	for _, tc := range []struct {
		script string
		env    []string
		want   string
		never  string // calls that must not happen
	}{
		{"deploy.sh", []string{"ENV=dev", "FAKE_GIT_DIRTY= M backend/main.go"}, "uncommitted changes", `^terraform -chdir`},
		{"deploy.sh", []string{"ENV=dev", "FAKE_TF_VERSION=1.5.7"}, "==> FAILED in phase 'preflight'", `^terraform -chdir`},
		{"deploy.sh", []string{"ENV=staging"}, "ENV must be dev or prod (got 'staging')", nothing},
		{"deploy-app.sh", []string{"ENV=staging"}, "ENV must be dev or prod (got 'staging')", nothing},
		{"destroy.sh", []string{"ENV=staging"}, "ENV must be dev or prod (got 'staging')", nothing},
		{"destroy.sh", []string{"ENV=dev"}, "not confirmed: nothing destroyed", nothing},
		// deploy-app.sh as CI runs it, but no image in the fake ECR, or a malformed digest.
		{"deploy-app.sh", ciVars, "image " + fakeRepoURL + ":" + testSHA + " does not exist", `^helm`},
		{"deploy-app.sh", append(ciVars, "IMAGE_DIGEST=sha256:abc"), "is not sha256:<64 hex digits>", `^helm`},
	} {
		s := newSandbox(t)
		if out, code := s.run(t, tc.script, tc.env...); code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%s %q: exit %d, want 1 with %q", tc.script, tc.env, code, tc.want)
		}
		s.never(t, 0, tc.never, tc.script+" went on")
	}
	s := newSandbox(t)
	write(t, filepath.Join(s.State, "bucket"), "", 0o644)
	if _, code := s.run(t, "deploy.sh", "ENV=dev", "IMAGE_TAG="+testSHA); code != 0 {
		t.Fatalf("deploy.sh exit = %d, want 0", code)
	}
	s.inOrder(t, `^terraform -chdir=\S+/infra/envs apply -var-file=dev.tfvars -input=false$`)
}

// ciVars are the settings deploy.yml gives deploy-app.sh from the GitHub environment variables.
var ciVars = []string{"ENV=dev", "IMAGE_TAG=" + testSHA, "EKS_CLUSTER_NAME=orderstack-dev", "ECR_REPOSITORY_URL=" + fakeRepoURL,
	"PUBLIC_BASE_URL=https://orders.example.com/", "GITHUB_ACTIONS=true"}

// deployApp runs deploy-app.sh the way deploy.yml does, with extra environment.
func deployApp(t *testing.T, s *sandbox, env ...string) (string, int) {
	t.Helper()
	return s.run(t, "deploy-app.sh", append(append([]string(nil), ciVars...), env...)...)
}

// TestDeployAppAsksTheIngress: a CI deploy without PUBLIC_BASE_URL (and no Terraform state) asks
// the Ingress for the URL to smoke-test (TestScriptsUnderRolePolicy runs deploy-app.sh as CI does).
func TestDeployAppAsksTheIngress(t *testing.T) {
	s := newSandbox(t)
	s.image(t, devRepo, testSHA, fakeDigest)
	if _, code := deployApp(t, s, "PUBLIC_BASE_URL=", "FAKE_TF_NO_STATE=1"); code != 0 {
		t.Fatalf("deploy-app.sh exit = %d, want 0", code)
	}
	s.inOrder(t, `^kubectl -n orders get ingress orders -o jsonpath=`, `^make .*smoke BASE_URL=http://`+regexp.QuoteMeta(fakeALB)+` `)
}

func TestDeployAppRollsBack(t *testing.T) {
	failedRev := `FAKE_HELM_HISTORY=[{"revision":7,"updated":"2026-11-20T10:00:00Z","status":"deployed","chart":"orders-0.1.0"},` +
		`{"revision":8,"updated":"2026-11-21T10:00:00Z","status":"failed","chart":"orders-0.1.0"}]`
	for _, tc := range []struct {
		name    string
		env     []string
		want    string
		release bool // revision 7 is running, 6 before it
	}{
		{"smoke test fails", []string{"FAKE_SMOKE_RC=1"}, "failed the smoke test: rolled back", true},
		{"helm test fails", []string{"FAKE_HELM_TEST_RC=1"}, "failed helm test: rolled back", true},
		{"a failed revision is not a target", []string{"FAKE_SMOKE_RC=1", failedRev}, "rolled back", true},
		{"first install cannot roll back", []string{"FAKE_SMOKE_RC=1"}, "no previous revision to roll back to", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			s.image(t, devRepo, testSHA, fakeDigest)
			if tc.release {
				write(t, filepath.Join(s.State, "release"), "", 0o644)
			}
			out, code := deployApp(t, s, tc.env...)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want failure with %q", code, tc.want)
			}
			if tc.release {
				s.inOrder(t, `^helm history orders`, `^helm upgrade `, `^helm rollback orders 7 --namespace orders --wait`)
			} else {
				s.never(t, 0, `^helm rollback`, "rolled back a first install")
			}
		})
	}
}

func TestDestroyCleansKubernetesFirst(t *testing.T) {
	s := newSandbox(t)
	out, code := s.run(t, "destroy.sh", "ENV=dev", "AUTO_APPROVE=1")
	if code != 0 || !strings.Contains(out, "==> dev destroyed in ") {
		t.Fatalf("destroy.sh exit = %d, want 0 and a closing line", code)
	}
	s.inOrder(t, `^terraform version$`, `^aws eks update-kubeconfig --region eu-west-1 --name orderstack-dev$`, `^pre-destroy\.sh dev$`,
		`^terraform -chdir=\S+/infra/envs destroy -var-file=dev.tfvars -input=false -auto-approve$`)
}

// TestScriptsStrict: every executable script stops on the first error (shellcheck, which parses
// them, runs on every tracked script in make lint).
func TestScriptsStrict(t *testing.T) {
	scripts, _ := filepath.Glob(filepath.Join(repo.Root(t), "scripts", "*.sh"))
	for _, p := range scripts {
		if b := string(must(os.ReadFile(p))); strings.HasPrefix(b, "#!") && !strings.Contains(b, "set -euo pipefail") {
			t.Errorf("%s: an executable script without set -euo pipefail", filepath.Base(p))
		}
	}
}
