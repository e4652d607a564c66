package workflows

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

// The deploy scripts run here against the fakes of testdata/fakes (terraform, aws, kubectl, helm,
// docker, make, git, go): bash that logs its argv and answers like the real tool, steered by files
// in $FAKE_STATE and FAKE_* variables. PATH is a clisandbox: only the fakes and a handful of real
// basics, so a real kubectl or terraform on the machine can never be reached.

const (
	fakeRegistry = tfrun.Account + ".dkr.ecr.eu-west-1.amazonaws.com"
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
	must(0, os.CopyFS(filepath.Join(s.root, "scripts"), os.DirFS(filepath.Join(repo.Root(tb), "scripts")))) // with their modes
	for _, env := range []string{"dev", "prod"} {
		write(tb, filepath.Join(s.root, "infra", "envs", env+".s3.tfbackend"),
			"bucket       = \"orderstack-tfstate-123456789012\"\nkey          = \"orderstack/"+env+"/terraform.tfstate\"\nuse_lockfile = true\n", 0o644)
	}
	write(tb, filepath.Join(s.root, "infra", "scripts", "pre-destroy.sh"), "#!/bin/bash\necho \"pre-destroy.sh $*\" >>\"$FAKE_LOG\"\n", 0o755)
	for _, name := range []string{"terraform", "aws", "kubectl", "helm", "docker", "make", "git", "go"} {
		if len(only) == 0 || slices.Contains(only, name) {
			b, _ := os.ReadFile(filepath.Join("testdata", "fakes", name)) // go has none: an empty fake
			s.Fake(tb, name, string(b))
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
	if err := errors.Join(os.MkdirAll(filepath.Dir(path), 0o755), os.WriteFile(path, []byte(content), mode)); err != nil {
		tb.Fatal(err)
	}
}

func (s *sandbox) run(tb testing.TB, script string, env ...string) (string, int) {
	tb.Helper()
	r := s.Run(tb, filepath.Join(s.root, "scripts", script), nil, env...)
	return r.Output, r.Code
}

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

func wantAll(tb testing.TB, text string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			tb.Errorf("lacks %q:\n%s", w, text)
		}
	}
}

func TestPreflightNamesEachMissingToolOnce(t *testing.T) {
	out, code := newSandbox(t, "none").run(t, "preflight.sh", "AWS_REGION=") // every tool missing
	count := func(word string) int {
		return len(regexp.MustCompile(`(?m)^.*\b`+regexp.QuoteMeta(word)+`\b.*$`).FindAllString(out, -1))
	}
	for _, tool := range []string{"terraform", "aws", "kubectl", "helm", "docker", "git", "make", "go"} {
		if n := count(tool + " is missing"); n != 1 {
			t.Errorf("%d lines name missing %s, want exactly one", n, tool)
		}
	}
	// 8 tools + region, and the summary; no identity check without aws.
	if code != 1 || count("region") != 1 || count("preflight") != 10 || !strings.Contains(out, "preflight: 9 problem(s)") {
		t.Errorf("exit %d; want 1, one line about the region, 9 problems and a summary counting them", code)
	}
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
	up := s.Calls(t)[clisandbox.Index(s.Calls(t), 0, `^helm upgrade `)]
	wantAll(t, up, "--set-string image.digest="+fakeDigest, "--set-string image.repository="+fakeRepoURL,
		"--values "+s.root+"/deploy/helm/orders/values-dev.yaml", "--namespace orders", "--atomic", "--wait", "--timeout 10m")
	s.never(t, 0, `^helm upgrade .*image\.tag`, "helm upgrade sets image.tag")
}

// ciVars are the settings deploy.yml gives deploy-app.sh from env's GitHub environment variables.
func ciVars(env string) []string {
	v := []string{"ENV=" + env, "IMAGE_TAG=" + testSHA, "EKS_CLUSTER_NAME=orderstack-" + env, "ECR_REPOSITORY_URL=" + fakeRepoURL,
		"PUBLIC_BASE_URL=https://orders.example.com/", "GITHUB_ACTIONS=true"}
	if env == "prod" {
		v = append(v, "ECR_REPOSITORY_URL="+prodRepoURL, "PROMOTE_FROM_REPOSITORY_URL="+fakeRepoURL, "RELEASE=v1.2.0")
	}
	return v
}

var (
	built  = devRepo + ":" + testSHA + "=" + fakeDigest
	tested = devRepo + ":tested-" + testSHA + "=" + fakeDigest
)

// TestScripts runs each script in a fresh sandbox. A ci row runs deploy-app.sh as deploy.yml does,
// with the fake aws answering as that environment's deploy role from Terraform (tf: with
// tfDefects put back), so a call the role's policy denies is an AccessDenied that stops the deploy.
func TestScripts(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	alb, mutated := regexp.QuoteMeta(fakeALB), tfDefects(t)
	https := `^helm upgrade --install orders .*` + regexp.QuoteMeta("--set-string ingress.certificateArn="+arn+" --set-string ingress.host=orders.example.com")
	denied := "is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:eu-west-1:" + tfrun.Account + ":repository/orderstack-dev/orders"
	history := `FAKE_HELM_HISTORY=[{"revision":7,"updated":"2026-11-20T10:00:00Z","status":"deployed","chart":"orders-0.1.0"},` +
		`{"revision":8,"updated":"2026-11-21T10:00:00Z","status":"failed","chart":"orders-0.1.0"}]`
	type row struct {
		name, script, ci string // ci: run deploy-app.sh as deploy.yml does in this environment, under its deploy role
		tf               map[string]string
		env, images      []string // images: REPOSITORY:TAG=DIGEST in the fake ECR before the run
		files            []string // empty files in $FAKE_STATE: release (revision 7 runs), bucket (the state bucket exists)
		code             int      // -1: any failure
		out, order       []string // out: in the output or the step summary; order: calls in this order
		never            string
		ecr              []string // REPOSITORY:TAG=DIGEST in the fake ECR after the run
	}
	rows := []row{
		{name: "preflight all good", script: "preflight.sh", env: []string{"AWS_REGION=", "FAKE_AWS_CONFIG_REGION=eu-central-1"},
			out: []string{"preflight: ok", "terraform 1.10.5", "aws-cli 2.17.0", "helm 3.16.2", "region eu-central-1", "arn:aws:iam::123456789012:user/dev"}},
		{name: "deploy waits for the load balancer", script: "deploy-app.sh", env: []string{"ENV=dev", "IMAGE_TAG=" + testSHA, "FAKE_ALB_DELAY=2", "ALB_POLL=0"},
			images: []string{built}, out: []string{"waiting for the load balancer's hostname"}, order: []string{`^helm test`, `^make .*smoke BASE_URL=http://` + alb + ` `}},
		{name: "no hostname ever", script: "deploy-app.sh", env: []string{"ENV=dev", "IMAGE_TAG=" + testSHA, "FAKE_ALB_DELAY=1000", "ALB_POLL=0.2", "ALB_WAIT=1"},
			images: []string{built}, files: []string{"release"}, code: -1, out: []string{"the load balancer has no hostname after 1s"},
			order: []string{`^helm upgrade`, `^helm rollback orders 7 `}, never: `^make .*smoke`},
		{name: "dirty tree", script: "deploy.sh", env: []string{"ENV=dev", "FAKE_GIT_DIRTY= M backend/main.go"}, code: 1, out: []string{"uncommitted changes"}, never: `^terraform -chdir`},
		{name: "failed preflight", script: "deploy.sh", env: []string{"ENV=dev", "FAKE_TF_VERSION=1.5.7"}, code: 1, out: []string{"==> FAILED in phase 'preflight'"}, never: `^terraform -chdir`},
		{name: "deploy.sh bad ENV", script: "deploy.sh", env: []string{"ENV=staging"}, code: 1, out: []string{"ENV must be dev or prod (got 'staging')"}, never: "."},
		{name: "deploy-app.sh bad ENV", script: "deploy-app.sh", env: []string{"ENV=staging"}, code: 1, out: []string{"ENV must be dev or prod (got 'staging')"}, never: "."},
		{name: "destroy.sh bad ENV", script: "destroy.sh", env: []string{"ENV=staging"}, code: 1, out: []string{"ENV must be dev or prod (got 'staging')"}, never: "."},
		{name: "destroy unconfirmed", script: "destroy.sh", env: []string{"ENV=dev"}, code: 1, out: []string{"not confirmed: nothing destroyed"}, never: "."},
		{name: "destroy cleans Kubernetes first", script: "destroy.sh", env: []string{"ENV=dev", "AUTO_APPROVE=1"}, out: []string{"==> dev destroyed in "},
			order: []string{`^terraform version$`, `^aws eks update-kubeconfig --region eu-west-1 --name orderstack-dev$`, `^pre-destroy\.sh dev$`,
				`^terraform -chdir=\S+/infra/envs destroy -var-file=dev.tfvars -input=false -auto-approve$`}},
		{name: "a re-run skips the existing image and bucket", script: "deploy.sh", env: []string{"ENV=dev", "AUTO_APPROVE=1", "IMAGE_TAG=" + testSHA}, images: []string{built}, files: []string{"bucket"},
			never: `^make .*\bimage\b|^docker login|^terraform -chdir=\S+/infra/bootstrap`, out: []string{fakeRepoURL + ":" + testSHA + " already in ECR: skipping build and push", "state bucket orderstack-tfstate-123456789012 exists"}},
		{name: "without AUTO_APPROVE terraform asks", script: "deploy.sh", env: []string{"ENV=dev", "IMAGE_TAG=" + testSHA}, files: []string{"bucket"},
			order: []string{`^terraform -chdir=\S+/infra/envs apply -var-file=dev.tfvars -input=false$`}},
		{name: "CI: no image", ci: "dev", code: 1, out: []string{"image " + fakeRepoURL + ":" + testSHA + " does not exist"}, never: `^helm`},
		{name: "CI: malformed digest", ci: "dev", env: []string{"IMAGE_DIGEST=sha256:abc"}, code: 1, out: []string{"is not sha256:<64 hex digits>"}, never: `^helm`},
		{name: "CI: asks the Ingress", ci: "dev", images: []string{built}, env: []string{"PUBLIC_BASE_URL=", "FAKE_TF_NO_STATE=1"},
			order: []string{`^kubectl -n orders get ingress orders -o jsonpath=`, `^make .*smoke BASE_URL=http://` + alb + ` `}},
		{name: "rollback: smoke test fails", ci: "dev", images: []string{built}, files: []string{"release"}, env: []string{"FAKE_SMOKE_RC=1"}, code: -1,
			out: []string{"failed the smoke test: rolled back"}, order: []string{`^helm history orders`, `^helm upgrade `, `^helm rollback orders 7 --namespace orders --wait`}},
		{name: "rollback: helm test fails", ci: "dev", images: []string{built}, files: []string{"release"}, env: []string{"FAKE_HELM_TEST_RC=1"}, code: -1,
			out: []string{"failed helm test: rolled back"}, order: []string{`^helm history orders`, `^helm upgrade `, `^helm rollback orders 7 --namespace orders --wait`}},
		{name: "rollback: a failed revision is not a target", ci: "dev", images: []string{built}, files: []string{"release"}, env: []string{"FAKE_SMOKE_RC=1", history}, code: -1,
			out: []string{"rolled back"}, order: []string{`^helm history orders`, `^helm upgrade `, `^helm rollback orders 7 --namespace orders --wait`}},
		{name: "rollback: not of a first install", ci: "dev", images: []string{built}, env: []string{"FAKE_SMOKE_RC=1"}, code: -1,
			out: []string{"no previous revision to roll back to"}, never: `^helm rollback`},
		// HTTPS: the certificate reaches Helm from CI's variables or Terraform's outputs; a malformed ARN stops before Helm.
		{name: "HTTPS in CI", ci: "dev", images: []string{built}, env: []string{"CERTIFICATE_ARN=" + arn, "PUBLIC_HOST=orders.example.com"}, order: []string{https}},
		{name: "HTTP only in CI", ci: "dev", images: []string{built}, order: []string{`^helm upgrade --install orders `}, never: `^helm upgrade .*ingress\.`},
		{name: "HTTPS from Terraform", ci: "dev", images: []string{built}, env: []string{"ECR_REPOSITORY_URL=", "AWS_REGION=", "FAKE_TF_CERTIFICATE_ARN=" + arn, "FAKE_TF_PUBLIC_HOST=orders.example.com"}, order: []string{https}},
		{name: "HTTP only from Terraform", ci: "dev", images: []string{built}, env: []string{"ECR_REPOSITORY_URL=", "AWS_REGION="}, order: []string{`^helm upgrade --install orders `}, never: `^helm upgrade .*ingress\.`},
		{name: "malformed certificate ARN", ci: "dev", images: []string{built}, env: []string{"CERTIFICATE_ARN=arn:aws:iam::123456789012:role/x"}, code: 1, never: `^helm upgrade`},
		// Under the role policy: dev deploys and records tested-<sha>; prod promotes the tested digest.
		{name: "dev deploys and records", ci: "dev", images: []string{built}, env: []string{"FAKE_TF_NO_STATE=1"}, never: `^terraform`,
			order: []string{`^aws ecr describe-images .*imageTag=` + testSHA, `^helm upgrade --install orders .*image\.digest=` + fakeDigest, `^helm test orders`,
				`^make .*smoke BASE_URL=https://orders\.example\.com SMOKE_TIMEOUT=5m$`, `^aws ecr batch-get-image .*imageDigest=` + fakeDigest,
				`^aws ecr put-image .*--image-tag tested-` + testSHA + ` --image-digest ` + fakeDigest},
			out: []string{"::add-mask::" + fakeToken, fakeRepoURL + "@" + fakeDigest}, ecr: []string{tested}},
		{name: "prod promotes the tested digest", ci: "prod", images: []string{tested}, env: []string{"FAKE_TF_NO_STATE=1"}, never: `^aws ecr put-image .*tested-`,
			order: []string{`^aws ecr describe-images .*--repository-name orderstack-dev/orders --image-ids imageTag=tested-` + testSHA,
				`^docker buildx imagetools create --tag ` + regexp.QuoteMeta(prodRepoURL+":"+testSHA) + ` ` + regexp.QuoteMeta(fakeRepoURL+"@"+fakeDigest) + `$`,
				`^aws ecr describe-images .*--repository-name orderstack-prod/orders --image-ids imageTag=` + testSHA,
				`^helm upgrade .*image\.repository=` + regexp.QuoteMeta(prodRepoURL) + ` .*image\.digest=` + fakeDigest},
			out: []string{prodRepoURL + "@" + fakeDigest, fakeRepoURL + ":tested-" + testSHA, "release v1.2.0 = " + prodRepoURL + "@" + fakeDigest},
			ecr: []string{"orderstack-prod/orders:" + testSHA + "=" + fakeDigest, "orderstack-prod/orders:v1.2.0=" + fakeDigest}},
		// Issue #12, blocker 1, put back into Terraform: no ecr:DescribeImages, the fake aws denies.
		{name: "dev without ecr:DescribeImages", ci: "dev", tf: mutated, images: []string{built, tested}, env: []string{"FAKE_TF_NO_STATE=1"}, code: -1, out: []string{denied}},
		{name: "prod without ecr:DescribeImages", ci: "prod", tf: mutated, images: []string{built, tested}, env: []string{"FAKE_TF_NO_STATE=1"}, code: -1, out: []string{denied}},
		// A release without a tested digest, a copy that changed it, a prod tag on another digest stop before Helm.
		{name: "no tested digest", ci: "prod", images: []string{built}, code: 1, never: `^helm upgrade`,
			out: []string{"commit " + testSHA + " has no tested image: " + fakeRepoURL + " has no tag tested-" + testSHA}},
		{name: "copy changed the digest", ci: "prod", images: []string{tested}, env: []string{"FAKE_COPY_DIGEST=" + otherDigest}, code: 1, never: `^helm upgrade`,
			out: []string{"has digest " + otherDigest + ", not the tested " + fakeDigest}},
		{name: "prod tag on another digest", ci: "prod", images: []string{tested, "orderstack-prod/orders:" + testSHA + "=" + otherDigest}, code: 1, never: `^helm upgrade`,
			out: []string{prodRepoURL + ":" + testSHA + " is " + otherDigest + ", not the tested " + fakeDigest}},
		{name: "re-run of a promoted release", ci: "prod", never: `^docker buildx imagetools`,
			images: []string{tested, "orderstack-prod/orders:" + testSHA + "=" + fakeDigest, "orderstack-prod/orders:v1.2.0=" + fakeDigest}},
	}
	for _, p := range [][2]string{{"FAKE_TF_VERSION=1.9.8", "terraform 1.9.8 is too old: need >= 1.10.0"},
		{"FAKE_TF_VERSION=2.0.0", "terraform 2.0.0 is too new: the roots allow >= 1.10.0, < 2.0.0"},
		{"FAKE_HELM_VERSION=v3.13.3", "helm 3.13.3 is too old: need >= 3.14.0"}, {"FAKE_AWS_VERSION=aws-cli/1.33.2 Python/3.11", "aws CLI 1.33.2 is not v2"},
		{"FAKE_NO_BUILDX=1", "docker buildx is missing"}, {"FAKE_NO_ENGINE=1", "docker engine is not running"},
		{"FAKE_NO_CREDENTIALS=1", "AWS credentials do not work"}, {"AWS_REGION=", "AWS region is not set"}} {
		rows = append(rows, row{name: "preflight: " + p[1], script: "preflight.sh", env: []string{p[0], "AWS_DEFAULT_REGION="}, code: 1, out: []string{"preflight: " + p[1], "preflight: 1 problem(s)"}})
	}
	ecr := func(im string) (repository, tag, digest string) {
		ref, digest, _ := strings.Cut(im, "=")
		repository, tag, _ = strings.Cut(ref, ":")
		return repository, tag, digest
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			if tc.ci != "" {
				s.asRole(t, loadIAM(t, tc.tf)[tc.ci].Roles["deploy"])
				tc.script, tc.env = "deploy-app.sh", append(append(ciVars(tc.ci), "GITHUB_STEP_SUMMARY="+filepath.Join(s.Home, "summary.md")), tc.env...)
			}
			for _, im := range tc.images {
				r, tag, digest := ecr(im)
				write(t, filepath.Join(s.State, "ecr", r, tag), digest+"\n", 0o644)
			}
			for _, f := range tc.files {
				write(t, filepath.Join(s.State, f), "", 0o644)
			}
			out, code := s.run(t, tc.script, tc.env...)
			if code != tc.code && (tc.code >= 0 || code == 0) {
				t.Errorf("exit %d, want %d (-1: any failure)", code, tc.code)
			}
			summary, _ := os.ReadFile(filepath.Join(s.Home, "summary.md"))
			wantAll(t, out+string(summary), tc.out...)
			s.inOrder(t, tc.order...)
			if tc.never != "" {
				s.never(t, 0, tc.never, "a call that must not happen")
			}
			for _, im := range tc.ecr {
				r, tag, digest := ecr(im)
				if b, _ := os.ReadFile(filepath.Join(s.State, "ecr", r, tag)); strings.TrimSpace(string(b)) != digest {
					t.Errorf("%s:%s = %q, want %s", r, tag, b, digest)
				}
			}
		})
	}
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

// asRole makes the sandbox's fake aws (and docker) answer as role would: its policy, rendered
// from Terraform, is $FAKE_IAM_POLICY.
func (s *sandbox) asRole(tb testing.TB, role *Role) {
	p := filepath.Join(s.State, "policy-"+role.Env+"-"+role.Name)
	write(tb, p, strings.Join(must(role.PolicyLines()), "\n")+"\n", 0o644)
	s.Setenv("FAKE_IAM_POLICY="+p, "FAKE_CALLER_ARN=arn:aws:sts::"+tfrun.Account+":assumed-role/orderstack-"+role.Env+"-gh-"+role.Name+"-1/GitHubActions")
}

// ciSandbox runs terraform-ci.sh with the fake terraform of testdata/fakes/terraform-ci, the fake
// aws (KMS) as env's plan role and the real openssl; plan makes a plan of planEnv at sha in dir.
func ciSandbox(t *testing.T, env string) *sandbox {
	t.Helper()
	s := newSandbox(t, "git", "aws")
	s.Fake(t, "terraform", string(must(os.ReadFile("testdata/fakes/terraform-ci"))))
	s.Real(t, "openssl")
	for _, e := range []string{"dev", "prod"} {
		write(t, filepath.Join(s.root, "infra", "envs", e+".tfvars"), "environment = \""+e+"\"\n", 0o644)
	}
	e := loadIAM(t, nil)[env]
	s.asRole(t, e.Roles["plan"])
	s.Setenv("FAKE_KMS_KEY_ARN=" + e.PlansKeyARN) // its alias is asserted by iam-github/tests/permissions.tftest.hcl
	return s
}

func (s *sandbox) tfci(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r := s.Run(t, filepath.Join(s.root, "scripts", "terraform-ci.sh"), args[:3], args[3:]...)
	return r.Output, r.Code
}

// TestTerraformCI: terraform-ci.sh plans under the plan role into an artifact that holds the plan
// only encrypted; the apply refuses a plan of another commit or environment, or none, or under the
// plan role, and otherwise applies exactly the downloaded file.
func TestTerraformCI(t *testing.T) {
	t.Parallel()
	const otherSHA = "fedcba9876543210fedcba9876543210fedcba98"
	for _, tc := range []struct {
		name, planSHA, applyEnv, applyRole, remove, want string // want "" = success; applyEnv "" = the plan fails
	}{
		{"a failing plan", testSHA, "", "", "", "terraform plan of dev failed (exit 1)"},
		{"same commit and environment", testSHA, "dev", "apply", "", ""},
		{"the plan role cannot read a plan", testSHA, "dev", "plan", "", "is not authorized to perform: kms:Decrypt"},
		{"another commit", otherSHA, "dev", "apply", "", "the plan was made from commit '" + otherSHA + "', this job runs " + testSHA},
		{"another environment", testSHA, "prod", "apply", "", "the plan is of 'dev', not prod"},
		{"no plan file", testSHA, "dev", "apply", "tfplan.enc", "no encrypted plan"},
		{"no commit record", testSHA, "dev", "apply", "commit", "the plan was made from commit ''"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := ciSandbox(t, "dev")
			dir, step := filepath.Join(s.State, "artifact"), filepath.Join(s.Home, "step-summary.md")
			out, code := s.tfci(t, "plan", "dev", dir, "GITHUB_SHA="+tc.planSHA, "GITHUB_STEP_SUMMARY="+step, "FAKE_PLAN_RC="+map[string]string{"": "1"}[tc.applyEnv])
			if tc.applyEnv == "" {
				if code == 0 || !strings.Contains(out, tc.want) {
					t.Errorf("exit %d, want a failure with %q", code, tc.want)
				}
				return
			} else if code != 0 {
				t.Fatalf("plan: exit %d, want 0 (plan with changes is exit 2 of terraform, not a failure)", code)
			}
			// One root for every environment: init gets the environment's backend settings, plan its variables.
			s.inOrder(t, `^terraform -chdir=\S+/infra/envs init -input=false -no-color -backend-config=dev.s3.tfbackend$`,
				`^terraform -chdir=\S+/infra/envs plan -input=false -no-color -lock-timeout=5m -detailed-exitcode -var-file=dev.tfvars -out=`+regexp.QuoteMeta(dir)+`/tfplan$`,
				`^terraform -chdir=\S+/infra/envs show -no-color `+regexp.QuoteMeta(dir)+`/tfplan$`,
				`^aws kms generate-data-key --key-id alias/orderstack-dev-ci-plans --key-spec AES_256`)
			for file, want := range map[string]string{"commit": tc.planSHA + "\n", "environment": "dev\n", "tfplan.key": "?", "plan.txt": "?", ".terraform.lock.hcl": "?"} {
				if b, err := os.ReadFile(filepath.Join(dir, file)); err != nil || want != "?" && string(b) != want {
					t.Errorf("%s = %q, %v; want %q (? = any)", file, b, err, want)
				}
			}
			// The saved plan (secrets in clear) leaves the job only encrypted.
			if _, err := os.Stat(filepath.Join(dir, "tfplan")); err == nil {
				t.Error("the clear plan file is still in the artifact directory")
			}
			if enc, _ := os.ReadFile(filepath.Join(dir, "tfplan.enc")); strings.Contains(string(enc), "plan-of-") || len(enc) == 0 {
				t.Errorf("tfplan.enc is not encrypted: %q", enc)
			}
			summary, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
			wantAll(t, string(summary), "### terraform plan: dev", "Commit `"+tc.planSHA+"`: Plan: 1 to add, 1 to change, 0 to destroy.",
				"- `module.stack.module.eks.aws_eks_cluster.this` will be updated in-place", "- `module.stack.module.iam_github.aws_iam_role.plan` will be created")
			if b, _ := os.ReadFile(step); string(b) != string(summary) {
				t.Errorf("job summary = %q, want the plan summary", b)
			}
			if tc.remove != "" {
				must(0, os.Remove(filepath.Join(dir, tc.remove)))
			}
			before := len(s.Calls(t))
			s.asRole(t, loadIAM(t, nil)[tc.applyEnv].Roles[tc.applyRole])
			out, code = s.tfci(t, "apply", tc.applyEnv, dir, "GITHUB_SHA="+testSHA)
			if tc.want != "" {
				if code != 1 || !strings.Contains(out, tc.want) {
					t.Errorf("exit %d, want 1 with %q", code, tc.want)
				}
				s.never(t, before, `^terraform .* apply`, "applied anyway")
				return
			}
			if code != 0 {
				t.Fatalf("exit %d, want 0", code)
			}
			s.inOrder(t, `^terraform .* plan `, `^aws kms decrypt --ciphertext-blob fileb://`+regexp.QuoteMeta(dir)+`/tfplan.key`,
				`^terraform -chdir=\S+/infra/envs init -input=false -no-color -backend-config=dev.s3.tfbackend$`,
				// A saved plan carries its variables: Terraform refuses -var-file with it.
				`^terraform -chdir=\S+/infra/envs apply -input=false -no-color -lock-timeout=5m `+regexp.QuoteMeta(dir)+`/tfplan$`)
			if b, err := os.ReadFile(filepath.Join(dir, "tfplan")); err != nil || !strings.HasPrefix(string(b), "plan-of-") {
				t.Errorf("decrypted plan = %q, %v; want terraform's plan file", b, err)
			}
		})
	}
}
