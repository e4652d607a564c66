package terraform

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// sandbox is a closed-PATH sandbox (platform/internal/clisandbox) with the fakes of
// testdata/<fakes> and the basic real programs.
func sandbox(t *testing.T, fakes string, real ...string) *clisandbox.Sandbox {
	t.Helper()
	sb := clisandbox.New(t)
	files, _ := filepath.Glob(filepath.Join("testdata", fakes, "*"))
	for _, f := range files {
		sb.Fake(t, filepath.Base(f), repo.Read(t, f))
	}
	sb.Real(t, append(clisandbox.Basics, real...)...)
	return sb
}

// runScript runs a script of infra/scripts against the fake aws, kubectl and terraform; it
// returns output, the fakes' call log and the exit code.
func runScript(t *testing.T, script string, args []string, env ...string) (out string, calls []string, code int) {
	t.Helper()
	sb := sandbox(t, "fakes")
	path, _ := filepath.Abs(filepath.Join(infraDir, "scripts", script))
	sb.Setenv("FAKE_LB_POLLS=2", "PRE_DESTROY_POLL=0", "TERRAFORM="+filepath.Join(sb.Bin, "terraform"))
	r := sb.Run(t, path, args, env...)
	return r.Output, sb.Calls(t), r.Code
}

// inOrder asserts that calls has, in this order, calls containing each of want.
func inOrder(t *testing.T, calls []string, want ...string) {
	t.Helper()
	for i := range want {
		want[i] = regexp.QuoteMeta(want[i])
	}
	if err := clisandbox.InOrder(calls, want...); err != nil {
		t.Fatalf("%v; calls:\n%s", err, strings.Join(calls, "\n"))
	}
}

func TestPreDestroyCleansUpInOrder(t *testing.T) {
	out, calls, code := runScript(t, "pre-destroy.sh", []string{"dev"}, "AWS_REGION=eu-west-1")
	if code != 0 {
		t.Fatalf("pre-destroy.sh dev exited %d:\n%s", code, out)
	}
	inOrder(t, calls,
		"aws eks describe-cluster --name orderstack-dev",
		"kubectl delete ingress -n orders orders",
		"kubectl delete service -n demo public-lb",
		"kubectl delete perconaservermongodbs.psmdb.percona.com --all -A",
		"kubectl delete statefulset --all -A",
		"kubectl delete pvc --all -A",
		"Key=elbv2.k8s.aws/cluster,Values=orderstack-dev",
		"aws ec2 describe-network-interfaces --filters Name=vpc-id,Values=vpc-123",
		"kubectl delete pv --all",
		"aws ec2 delete-volume --volume-id vol-1",
		"aws ec2 delete-security-group --group-id sg-9",
	)
	log := strings.Join(calls, "\n")
	// The ALB was still there twice: the script polled until it was gone.
	if got := strings.Count(log, "resourcegroupstaggingapi get-resources"); got != 3 {
		t.Errorf("load balancer polls = %d, want 3 (two while present, one empty)", got)
	}
	if strings.Contains(log, "delete prometheuses") {
		t.Errorf("deleted Prometheus objects although their CRD is absent:\n%s", log)
	}
}

// TestPreDestroyRemovesPerconaFinalizers: a scheduled backup keeps the percona.com/delete-backup
// finalizer, which no operator runs after Terraform uninstalled it; left there it blocks the
// namespace's deletion and with it the whole destroy. pre-destroy removes the finalizer (before the
// delete, so a running operator never deletes backup data) and deletes the object. The replica
// set's own finalizer is left to a running operator and removed only when none runs.
func TestPreDestroyRemovesPerconaFinalizers(t *testing.T) {
	for _, operator := range []string{"1", "0"} {
		t.Run("operator="+operator, func(t *testing.T) {
			out, calls, code := runScript(t, "pre-destroy.sh", []string{"dev"}, "AWS_REGION=eu-west-1", "FAKE_OPERATOR="+operator)
			if code != 0 {
				t.Fatalf("pre-destroy.sh dev exited %d:\n%s", code, out)
			}
			inOrder(t, calls,
				`kubectl patch perconaservermongodbbackups.psmdb.percona.com -n mongodb daily-1 --type=merge -p {"metadata":{"finalizers":null}}`,
				"kubectl delete perconaservermongodbbackups.psmdb.percona.com --all -A",
				"kubectl delete perconaservermongodbs.psmdb.percona.com --all -A",
				"kubectl delete statefulset --all -A",
			)
			patched := strings.Contains(strings.Join(calls, "\n"), "kubectl patch perconaservermongodbs.psmdb.percona.com")
			if want := operator == "0"; patched != want {
				t.Errorf("replica set's finalizers removed = %v, want %v (operator running: %s); calls:\n%s", patched, want, operator, calls)
			}
			if !strings.Contains(out, "no perconaservermongodbbackups.psmdb.percona.com objects left") || !strings.Contains(out, "no perconaservermongodbs left") {
				t.Errorf("output does not report the Percona objects gone:\n%s", out)
			}
		})
	}
}

func TestPreDestroyFailures(t *testing.T) {
	out, calls, code := runScript(t, "pre-destroy.sh", nil,
		"AWS_REGION=eu-west-1", "EKS_CLUSTER_NAME=orderstack-prod", "FAKE_LB_POLLS=1000000", "PRE_DESTROY_TIMEOUT=0")
	if code == 0 || !strings.Contains(out, "timed out") || !strings.Contains(out, "loadbalancer/app/k8s-orders") {
		t.Errorf("pre-destroy.sh with the ALB staying = exit %d, want a failure naming the load balancer:\n%s", code, out)
	}
	if strings.Contains(strings.Join(calls, "\n"), "delete-volume") {
		t.Errorf("deleted volumes before the load balancers were gone:\n%s", calls)
	}
	if out, _, code := runScript(t, "pre-destroy.sh", nil, "AWS_REGION=eu-west-1"); code != 2 || !strings.Contains(out, "EKS_CLUSTER_NAME") {
		t.Errorf("pre-destroy.sh without ENV = exit %d, %q; want exit 2 naming EKS_CLUSTER_NAME", code, out)
	}
}

func TestTfValidate(t *testing.T) {
	for mode, want := range map[string]struct {
		code int
		out  string
	}{
		"offline": {0, "SKIPPED envs, terraform init cannot download the providers"},
		"ok":      {0, "tf-validate: ok envs"},
		"invalid": {1, "FAIL bootstrap: terraform validate"},
		"broken":  {1, "Unsupported Terraform Core version"},
		"missing": {0, "SKIPPED, no terraform binary"},
	} {
		env := []string{"FAKE_TF=" + mode}
		if mode == "missing" {
			env = append(env, "TERRAFORM=/nonexistent/terraform")
		}
		out, calls, code := runScript(t, "tf-validate.sh", nil, env...)
		if code != want.code || !strings.Contains(out, want.out) {
			t.Errorf("tf-validate.sh (%s) = exit %d, output:\n%s\nwant exit %d with %q", mode, code, out, want.code, want.out)
		}
		if n := strings.Count(strings.Join(calls, "\n"), "init -backend=false"); mode != "missing" && n != 2 {
			t.Errorf("tf-validate.sh (%s): terraform init ran %d times, want once per root (2):\n%s", mode, n, calls)
		}
	}
}

// runPreflight runs scripts/preflight.sh from a copy of scripts/ whose infra/envs/dev.tfvars is
// tfvars, against the fakes of testdata/preflight: every tool present in a version it accepts.
func runPreflight(t *testing.T, tfvars string, env ...string) (string, int) {
	t.Helper()
	sb := sandbox(t, "preflight", "awk")
	repoDir := filepath.Join(sb.Home, "repoDir")
	if err := os.CopyFS(filepath.Join(repoDir, "scripts"), os.DirFS(filepath.Join(infraDir, "..", "scripts"))); err != nil { // with their modes
		t.Fatal(err)
	}
	repo.Write(t, repoDir, "infra/envs/dev.tfvars", tfvars)
	r := sb.Run(t, filepath.Join(repoDir, "scripts", "preflight.sh"), nil, append([]string{"AWS_REGION=eu-west-1", "ENV=dev", "FAKE_DRIVER="}, env...)...)
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
			if complained := strings.Contains(out, "is not in admin_principal_arns"); complained == tc.ok || (code == 0) != tc.ok {
				t.Errorf("preflight with caller %s and\n%s= exit %d:\n%s\nwant ok=%v", tc.caller, tc.tfvars, code, out, tc.ok)
			}
		})
	}
}

// TestPreflightChecksBuildxDriver: make deploy pushes with attestations, which the default docker
// driver rejects; an existing builder of another driver is a problem, none at all is fine (deploy
// creates a docker-container one).
func TestPreflightChecksBuildxDriver(t *testing.T) {
	for driver, ok := range map[string]bool{"": true, "docker-container": true, "docker": false} {
		out, code := runPreflight(t, "admin_principal_arns = [\"arn:aws:iam::111122223333:user/dev\"]\n", "FAKE_CALLER=arn:aws:iam::111122223333:user/dev", "FAKE_DRIVER="+driver)
		if (code == 0) != ok || strings.Contains(out, "rejects the image's attestations") == ok {
			t.Errorf("preflight with builder driver %q = exit %d:\n%s\nwant ok=%v", driver, code, out, ok)
		}
	}
}
