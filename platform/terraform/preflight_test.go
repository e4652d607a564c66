package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
)

// Fakes for scripts/preflight.sh: every tool present in a version it accepts; aws answers the
// caller identity $FAKE_CALLER, docker's buildx builder uses $FAKE_DRIVER (none: no builder yet).
var preflightFakes = map[string]string{
	"terraform": `[ "$1" = version ] && echo "Terraform v1.10.5"`,
	"aws": `case "$*" in
"--version") echo "aws-cli/2.17.0 Python/3.12.6 Linux/6.8 exe/x86_64" ;;
"sts get-caller-identity --query Arn --output text") echo "$FAKE_CALLER" ;;
*) echo "fake aws: unexpected $*" >&2; exit 3 ;;
esac`,
	"kubectl": `exit 0`,
	"helm":    `echo v3.16.2`,
	"docker": `case "$*" in
"buildx version") echo "github.com/docker/buildx v0.19.3" ;;
"info") ;;
"buildx inspect orderstack") [ -n "$FAKE_DRIVER" ] || { echo "ERROR: no builder \"orderstack\" found" >&2; exit 1; }
	printf 'Name:          orderstack\nDriver:        %s\n' "$FAKE_DRIVER" ;;
*) echo "fake docker: unexpected $*" >&2; exit 3 ;;
esac`,
	"git": `exit 0`, "make": `exit 0`, "go": `exit 0`,
}

// runPreflight runs scripts/preflight.sh from a copy of scripts/ whose infra/envs/dev.tfvars is the
// given tfvars, in a closed-PATH sandbox of the fakes and the basic real programs.
func runPreflight(t *testing.T, tfvars string, env ...string) (string, int) {
	t.Helper()
	sb := clisandbox.New(t)
	repo := filepath.Join(sb.Home, "repo")
	for _, d := range []string{filepath.Join(repo, "scripts"), filepath.Join(repo, "infra", "envs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"preflight.sh", "lib.sh"} {
		b, err := os.ReadFile(filepath.Join(infraDir, "..", "scripts", s))
		if err != nil {
			t.Fatal(err)
		}
		writeExec(t, filepath.Join(repo, "scripts"), s, string(b))
	}
	if err := os.WriteFile(filepath.Join(repo, "infra", "envs", "dev.tfvars"), []byte(tfvars), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range preflightFakes {
		sb.Fake(t, name, body)
	}
	sb.Real(t, append(clisandbox.Basics, "awk")...)
	r := sb.Run(t, filepath.Join(repo, "scripts", "preflight.sh"), nil, append([]string{"AWS_REGION=eu-west-1", "ENV=dev", "FAKE_DRIVER="}, env...)...)
	return r.Output, r.Code
}

// TestPreflightChecksClusterAdmin: the cluster has no creator admin, so the identity running
// `make deploy` must be one of admin_principal_arns, or the apply ends in Unauthorized after the
// cluster's 15 minutes. An SSO session is its role, whatever the role's path.
func TestPreflightChecksClusterAdmin(t *testing.T) {
	const sso = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/me@example.com"
	const ssoRole = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd"
	for _, tc := range []struct {
		name, tfvars, caller string
		ok                   bool
	}{
		{"empty list", "region = \"eu-west-1\"\nadmin_principal_arns = []\nalarm_email = null\n", "arn:aws:iam::111122223333:user/dev", false},
		{"user listed", "admin_principal_arns = [\"arn:aws:iam::111122223333:user/dev\"]\n", "arn:aws:iam::111122223333:user/dev", true},
		{"sso role with path", "admin_principal_arns = [\n  \"arn:aws:iam::111122223333:role/ci\",\n  \"" + ssoRole + "\",\n]\n", sso, true},
		{"same role name, other account", "admin_principal_arns = [\"arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd\"]\n", sso, false},
		{"role name is only a suffix", "admin_principal_arns = [\"arn:aws:iam::111122223333:role/XAWSReservedSSO_Admin_0123abcd\"]\n", sso, false},
		{"arn in another variable", "developer_trusted_arns = [\"arn:aws:iam::111122223333:user/dev\"]\nadmin_principal_arns = []\n", "arn:aws:iam::111122223333:user/dev", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runPreflight(t, tc.tfvars, "FAKE_CALLER="+tc.caller)
			complained := strings.Contains(out, "is not in admin_principal_arns")
			if complained == tc.ok || (code == 0) != tc.ok {
				t.Errorf("preflight with caller %s and\n%s= exit %d:\n%s\nwant ok=%v", tc.caller, tc.tfvars, code, out, tc.ok)
			}
		})
	}
}

// TestPreflightChecksBuildxDriver: make deploy pushes with attestations, which the default docker
// driver rejects; an existing builder of another driver is a problem, none at all is fine (deploy
// creates a docker-container one).
func TestPreflightChecksBuildxDriver(t *testing.T) {
	const tfvars = "admin_principal_arns = [\"arn:aws:iam::111122223333:user/dev\"]\n"
	for driver, ok := range map[string]bool{"": true, "docker-container": true, "docker": false} {
		out, code := runPreflight(t, tfvars, "FAKE_CALLER=arn:aws:iam::111122223333:user/dev", "FAKE_DRIVER="+driver)
		if (code == 0) != ok || strings.Contains(out, "rejects the image's attestations") == ok {
			t.Errorf("preflight with builder driver %q = exit %d:\n%s\nwant ok=%v", driver, code, out, ok)
		}
	}
}
