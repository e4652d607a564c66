package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// The deploy scripts run here against FAKE terraform, aws, kubectl, helm,
// docker, make, git and go: small bash scripts that append their argv to a
// log and print canned answers. PATH is a clisandbox: only the fakes and a
// handful of real basics (bash, sed, sort, ...), so a real kubectl or
// terraform on the machine can never be reached.

const (
	fakeRegistry = FakeAccount + ".dkr.ecr.eu-west-1.amazonaws.com"
	fakeRepoURL  = fakeRegistry + "/orderstack-dev/orders"
	prodRepoURL  = fakeRegistry + "/orderstack-prod/orders"
	fakeDigest   = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	otherDigest  = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	fakeALB      = "k8s-orders-0123456789.eu-west-1.elb.amazonaws.com"
	fakeToken    = "admin-token-from-the-secret"
	testSHA      = "0123456789abcdef0123456789abcdef01234567"
)

// iamShell is sourced by the fakes that call AWS. iam_check ACTION RESOURCE
// OPERATION answers like the real CLI when the calling role may not do
// ACTION on RESOURCE: the service's AccessDenied text on stderr, exit 254.
// The role's policy is $FAKE_IAM_POLICY, lines "Effect<TAB>action<TAB>resource"
// with IAM's * and ? wildcards, rendered from Terraform (Role.PolicyLines);
// an explicit Deny wins, no Allow is an implicit deny. Without
// FAKE_IAM_POLICY the caller is an administrator (the laptop path).
const iamShell = `
iam_allowed() {
  local action=$1 resource=$2 effect a r allowed=1
  [ -n "${FAKE_IAM_POLICY:-}" ] || return 0
  while IFS=$'\t' read -r effect a r; do
    if [[ "${action,,}" == ${a,,} && "$resource" == $r ]]; then
      [ "$effect" = Deny ] && return 1
      allowed=0
    fi
  done <"$FAKE_IAM_POLICY"
  return $allowed
}
iam_check() {
  iam_allowed "$1" "$2" && return 0
  echo "An error occurred (AccessDeniedException) when calling the $3 operation: User: ${FAKE_CALLER_ARN:-arn:aws:sts::` + FakeAccount + `:assumed-role/ci/GitHubActions} is not authorized to perform: $1 on resource: $2 because no identity-based policy allows the $1 action" >&2
  exit 254
}
ecr_arn() { echo "arn:aws:ecr:${AWS_REGION:-eu-west-1}:` + FakeAccount + `:repository/$1"; }
# ECR's state: $FAKE_STATE/ecr/<repository>/<tag> holds the tag's digest.
ecr_tag() { cat "$FAKE_STATE/ecr/$1/$2" 2>/dev/null; }
ecr_put() { mkdir -p "$FAKE_STATE/ecr/$1"; printf '%s\n' "$3" >"$FAKE_STATE/ecr/$1/$2"; }
`

// fakes holds the canned behaviour of each fake tool. Behaviour is steered
// by files in $FAKE_STATE (what exists in "AWS") and FAKE_* variables.
var fakes = map[string]string{
	"terraform": `
case "$*" in
  *"output -raw"*) [ -z "${FAKE_TF_NO_STATE:-}" ] || { echo "No outputs found" >&2; exit 1; } ;;&
  version) echo "Terraform v${FAKE_TF_VERSION:-1.10.5}"; echo "on linux_amd64" ;;
  *"output -raw region") echo eu-west-1 ;;
  *"output -raw cluster_name") echo orderstack-dev ;;
  *"output -raw ecr_repository_url") echo ` + fakeRepoURL + ` ;;
  *"output -raw certificate_arn") echo "${FAKE_TF_CERTIFICATE_ARN:-}" ;;
  *"output -raw public_host") echo "${FAKE_TF_PUBLIC_HOST:-}" ;;
  *"output -raw alb_hostname_command") echo "$FAKE_STATE/alb-hostname" ;;
  *"output -raw grafana_password_command") echo "kubectl -n monitoring get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d" ;;
  *bootstrap*" apply"*) touch "$FAKE_STATE/bucket" ;;
esac`,
	"aws": `. "$FAKE_STATE/iam.sh"
svc=${1:-} op=${2:-}
repo="" name="" bucket="" ids="" tag="" digest="" blob_file=""
shift 2 || true
while [ $# -gt 0 ]; do
  case $1 in
    --repository-name) repo=$2; shift ;;
    --name) name=$2; shift ;;
    --bucket) bucket=$2; shift ;;
    --region) AWS_REGION=$2; shift ;;
    --image-ids) ids=$2; shift ;;
    --image-tag) tag=$2; shift ;;
    --image-digest) digest=$2; shift ;;
    --ciphertext-blob) blob_file=$2; shift ;;
  esac
  shift
done
case "$svc $op" in
  "--version ") echo "${FAKE_AWS_VERSION:-aws-cli/2.17.0 Python/3.12.6 Linux/6.8 exe/x86_64}" ;;
  "sts get-caller-identity") [ -z "${FAKE_NO_CREDENTIALS:-}" ] || { echo "Unable to locate credentials" >&2; exit 255; }
    echo "${FAKE_CALLER_ARN:-arn:aws:iam::` + FakeAccount + `:user/dev}" ;;
  "configure get") echo "${FAKE_AWS_CONFIG_REGION:-}" ;;
  "s3api head-bucket")
    iam_allowed s3:ListBucket "arn:aws:s3:::$bucket" || { echo "An error occurred (403) when calling the HeadBucket operation: Forbidden" >&2; exit 254; }
    [ -f "$FAKE_STATE/bucket" ] || { echo "An error occurred (404) when calling the HeadBucket operation: Not Found" >&2; exit 254; } ;;
  "ecr describe-images")
    iam_check ecr:DescribeImages "$(ecr_arn "$repo")" DescribeImages
    case $ids in
      imageTag=*) d=$(ecr_tag "$repo" "${ids#imageTag=}") ;;
      *) d="" ;;
    esac
    [ -n "$d" ] || { echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'null', imageTag:'${ids#imageTag=}'} does not exist within the repository with name '$repo' in the registry with id '` + FakeAccount + `'" >&2; exit 254; }
    echo "$d" ;;
  "ecr batch-get-image")
    iam_check ecr:BatchGetImage "$(ecr_arn "$repo")" BatchGetImage
    echo "{\"manifest-of\":\"${ids#imageDigest=}\"}" ;;
  "ecr put-image")
    iam_check ecr:PutImage "$(ecr_arn "$repo")" PutImage
    if old=$(ecr_tag "$repo" "$tag"); then
      if [ "$old" = "$digest" ]; then
        echo "An error occurred (ImageAlreadyExistsException) when calling the PutImage operation: Image with digest '$digest' and tag '$tag' already exists in the repository with name '$repo' in registry with id '` + FakeAccount + `'" >&2
      else
        echo "An error occurred (ImageTagAlreadyExistsException) when calling the PutImage operation: The image tag '$tag' already exists in the '$repo' repository and cannot be overwritten because the tag is immutable." >&2
      fi
      exit 254
    fi
    ecr_put "$repo" "$tag" "$digest" ;;
  "ecr get-login-password")
    iam_check ecr:GetAuthorizationToken "*" GetAuthorizationToken
    echo not-a-real-password ;;
  # KMS: a data key's "ciphertext blob" here is KMSBLOB:<plaintext>, base64; the key is
  # $FAKE_KMS_KEY_ARN whatever alias names it.
  "kms generate-data-key")
    iam_check kms:GenerateDataKey "${FAKE_KMS_KEY_ARN:-arn:aws:kms:eu-west-1:` + FakeAccount + `:key/plans}" GenerateDataKey
    plain=$(printf '%s' "${FAKE_DATA_KEY:-0123456789abcdef0123456789abcdef}" | base64)
    printf '%s\t%s\n' "$plain" "$(printf 'KMSBLOB:%s' "$plain" | base64 | tr -d '\n')" ;;
  "kms decrypt")
    iam_check kms:Decrypt "${FAKE_KMS_KEY_ARN:-arn:aws:kms:eu-west-1:` + FakeAccount + `:key/plans}" Decrypt
    blob=$(cat "${blob_file#fileb://}") && [[ "$blob" == KMSBLOB:* ]] || { echo "An error occurred (InvalidCiphertextException) when calling the Decrypt operation:" >&2; exit 254; }
    echo "${blob#KMSBLOB:}" ;;
  "eks update-kubeconfig")
    iam_check eks:DescribeCluster "arn:aws:eks:${AWS_REGION:-eu-west-1}:` + FakeAccount + `:cluster/$name" DescribeCluster
    echo "Updated context arn:aws:eks:${AWS_REGION:-eu-west-1}:` + FakeAccount + `:cluster/$name" ;;
  *) echo "fake aws: no model of '$svc $op'" >&2; exit 252 ;;
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
	// docker buildx imagetools create pulls the source through the
	// registry API and pushes the copy: the role needs both.
	"docker": `. "$FAKE_STATE/iam.sh"
denied() { echo "ERROR: failed to push: denied: User: ${FAKE_CALLER_ARN:-ci} is not authorized to perform: $1 on resource: $2" >&2; exit 1; }
case "$1" in
  buildx) [ -z "${FAKE_NO_BUILDX:-}" ] || { echo "docker: 'buildx' is not a docker command." >&2; exit 1; }
    if [ "${2:-} ${3:-}" = "imagetools create" ]; then
      shift 3; tags=()
      while [ $# -gt 1 ]; do [ "$1" = --tag ] && tags+=("$2") && shift; shift; done
      src=$1 srepo=${1#*/}; srepo=${srepo%@*}; sdigest=${1#*@}
      for a in ecr:BatchGetImage ecr:GetDownloadUrlForLayer; do iam_allowed $a "$(ecr_arn "$srepo")" || denied $a "$(ecr_arn "$srepo")"; done
      grep -rqx "$sdigest" "$FAKE_STATE/ecr/$srepo" 2>/dev/null || { echo "ERROR: $src: not found" >&2; exit 1; }
      for t in "${tags[@]}"; do
        drepo=${t#*/}; drepo=${drepo%:*}
        for a in ecr:BatchCheckLayerAvailability ecr:InitiateLayerUpload ecr:UploadLayerPart ecr:CompleteLayerUpload ecr:PutImage; do
          iam_allowed $a "$(ecr_arn "$drepo")" || denied $a "$(ecr_arn "$drepo")"
        done
        ecr_put "$drepo" "${t##*:}" "${FAKE_COPY_DIGEST:-$sdigest}"
      done
    else echo "github.com/docker/buildx v0.19.3"; fi ;;
  info) [ -z "${FAKE_NO_ENGINE:-}" ] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; } ;;
  login) cat >/dev/null; echo "Login Succeeded" ;;
esac`,
	"make": `. "$FAKE_STATE/iam.sh"
echo "make-env SMOKE_ADMIN_TOKEN=${SMOKE_ADMIN_TOKEN:-}" >>"$FAKE_LOG"
image="" version=""
for a in "$@"; do case $a in IMAGE=*) image=${a#IMAGE=} ;; VERSION=*) version=${a#VERSION=} ;; esac; done
case " $* " in
  *" image "*) r=${image#*/}; ecr_put "$r" "$version" ` + fakeDigest + ` ;;
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

type sandbox struct {
	*clisandbox.Sandbox
	root  string // a copy of the repository parts the scripts read
	state string
}

// newSandbox copies scripts/ into a temporary repository with the <env>.s3.tfbackend files
// of the environment root and a pre-destroy.sh, and builds the closed PATH (clisandbox) from the
// fakes (all, or only those named) and the real basics.
func newSandbox(tb testing.TB, only ...string) *sandbox {
	tb.Helper()
	repoDir := repo.Root(tb)
	cs := clisandbox.New(tb)
	s := &sandbox{Sandbox: cs, root: filepath.Join(cs.Home, "repo"), state: cs.State}
	for _, d := range []string{filepath.Join(s.root, "scripts"),
		filepath.Join(s.root, "infra", "envs"), filepath.Join(s.root, "infra", "scripts")} {
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
	for _, env := range []string{"dev", "prod"} {
		writeFile(tb, filepath.Join(s.root, "infra", "envs", env+".s3.tfbackend"),
			"bucket       = \"orderstack-tfstate-123456789012\"\nkey          = \"orderstack/"+env+"/terraform.tfstate\"\nuse_lockfile = true\n", 0o644)
	}
	for name, body := range fakes {
		if name == "pre-destroy.sh" {
			writeFile(tb, filepath.Join(s.root, "infra", "scripts", name),
				"#!/bin/bash\necho \""+name+" $*\" >>\"$FAKE_LOG\"\n"+body+"\n", 0o755)
			continue
		}
		if len(only) > 0 && !slices.Contains(only, name) {
			continue
		}
		cs.Fake(tb, name, body)
	}
	cs.Real(tb, clisandbox.Basics...)
	// The load balancer's name appears after FAKE_ALB_DELAY polls (0).
	writeFile(tb, filepath.Join(s.state, "alb-hostname"), `#!/bin/bash
n=$(cat "$FAKE_STATE/alb-polls" 2>/dev/null || echo 0)
echo $((n + 1)) >"$FAKE_STATE/alb-polls"
if [ "$n" -ge "${FAKE_ALB_DELAY:-0}" ]; then echo `+fakeALB+`; fi
`, 0o755)
	writeFile(tb, filepath.Join(s.state, "iam.sh"), iamShell, 0o644)
	cs.Setenv("AWS_REGION=eu-west-1")
	return s
}

// image puts REPOSITORY:TAG = DIGEST into the fake ECR.
func (s *sandbox) image(tb testing.TB, repository, tag, digest string) {
	tb.Helper()
	dir := filepath.Join(s.state, "ecr", filepath.FromSlash(repository))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, filepath.Join(dir, tag), digest+"\n", 0o644)
}

// tagOf reads REPOSITORY:TAG from the fake ECR ("" when absent).
func (s *sandbox) tagOf(tb testing.TB, repository, tag string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(s.state, "ecr", filepath.FromSlash(repository), tag))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
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
	r := s.Run(tb, filepath.Join(s.root, "scripts", script), nil, env...)
	return r.Output, r.Code
}

// calls returns the logged argv lines, one per call.
func (s *sandbox) calls(tb testing.TB) []string {
	tb.Helper()
	return s.Calls(tb)
}

// index returns the position of the first call at or after from matching
// re, or -1.
func index(calls []string, from int, re string) int { return clisandbox.Index(calls, from, re) }

// wantInOrder checks that calls match the patterns in this order.
func wantInOrder(tb testing.TB, calls []string, patterns ...string) {
	tb.Helper()
	if err := clisandbox.InOrder(calls, patterns...); err != nil {
		tb.Fatal(err)
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
		{"terraform 2", []string{"FAKE_TF_VERSION=2.0.0"}, "terraform 2.0.0 is too new: the roots allow >= 1.10.0, < 2.0.0"},
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
	s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
	out, code := s.run(t, "deploy-app.sh", "ENV=dev", "IMAGE_TAG="+testSHA, "FAKE_ALB_DELAY=2", "ALB_POLL=0")
	if code != 0 {
		t.Fatalf("deploy-app.sh exit = %d, want 0", code)
	}
	if got := strings.Count(out, "waiting for the load balancer's hostname"); got != 2 {
		t.Errorf("waited %d times, want 2", got)
	}
	wantInOrder(t, s.calls(t), `^helm test`, `^make .*smoke BASE_URL=http://`+regexp.QuoteMeta(fakeALB)+` `)

	s = newSandbox(t)
	s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
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
	wantInOrder(t, second, `^terraform -chdir=\S+/infra/envs apply -var-file=dev.tfvars`, `^helm upgrade --install orders `, `^make .*\bsmoke `)
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
	base := []string{"ENV=dev", "IMAGE_TAG=" + testSHA, "EKS_CLUSTER_NAME=orderstack-dev", "ECR_REPOSITORY_URL=" + fakeRepoURL,
		"PUBLIC_BASE_URL=https://orders.example.com/", "GITHUB_ACTIONS=true"}
	return s.run(t, "deploy-app.sh", append(base, env...)...)
}

func TestDeployAppLikeCI(t *testing.T) {
	s := newSandbox(t)
	s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
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
	s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
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
			s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
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
		s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
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
		s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
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
		`^aws eks update-kubeconfig --region eu-west-1 --name orderstack-dev$`,
		`^pre-destroy\.sh dev$`,
		`^terraform -chdir=\S+/infra/envs destroy -var-file=dev.tfvars -input=false -auto-approve$`)
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
	wantInOrder(t, s.calls(t), `^terraform -chdir=\S+/infra/envs apply -var-file=dev.tfvars -input=false$`)
}
