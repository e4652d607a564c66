package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
)

// Fakes of kubectl and aws record each call in $FAKE_LOG and answer like a cluster with one
// Ingress, one LoadBalancer Service, a retained EBS volume and a controller security group; the
// ALB disappears after $FAKE_LB_POLLS polls.
const fakeAWS = `case "$*" in
"eks describe-cluster"*) echo vpc-123 ;;
"resourcegroupstaggingapi get-resources"*)
	n=$(cat "$FAKE_STATE/lb" 2>/dev/null || echo 0)
	if [ "$n" -lt "$FAKE_LB_POLLS" ]; then echo arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/k8s-orders/abc; fi
	echo $((n + 1)) >"$FAKE_STATE/lb" ;;
"ec2 describe-network-interfaces"*) ;;
"ec2 describe-volumes"*) [ -f "$FAKE_STATE/vol" ] || printf 'vol-1\tavailable\n' ;;
"ec2 delete-volume"*) touch "$FAKE_STATE/vol" ;;
"ec2 describe-security-groups"*) [ -f "$FAKE_STATE/sg" ] || echo sg-9 ;;
"ec2 delete-security-group"*) touch "$FAKE_STATE/sg" ;;
*) echo "fake aws: unexpected $*" >&2; exit 3 ;;
esac
`

// Percona's objects behave like on a real API server: one scheduled backup mongodb/daily-1 with the
// percona.com/delete-backup finalizer and one replica set mongodb/orders-mongodb with
// delete-psmdb-pods-in-order. A delete only marks an object with finalizers; it is gone once it is
// both deleted and without finalizers. The replica set's finalizer is run by the operator when
// $FAKE_OPERATOR is 1 (a psmdb-operator pod is Running), else only a patch removes it.
const fakeKubectl = `# obj NAME: prints NAME unless gone; mark NAME deleted|unfinalized: gone when both.
obj() { [ -f "$FAKE_STATE/$1.deleted" ] && [ -f "$FAKE_STATE/$1.unfinalized" ] || echo "mongodb $1"; }
mark() { touch "$FAKE_STATE/$1.$2"; }
bkp=perconaservermongodbbackups.psmdb.percona.com
rst=perconaservermongodbrestores.psmdb.percona.com
psmdb=perconaservermongodbs.psmdb.percona.com
case "$*" in
"get ingress -A"*) echo "orders orders" ;;
"get service -A"*) echo "demo public-lb" ;;
"get crd $psmdb"* | "get crd $bkp"* | "get crd $rst"*) exit 0 ;;
"get crd"*) exit 1 ;;
"get $bkp -A"*) obj daily-1 ;;
"get $rst -A"*) ;;
"get $psmdb -A"*) obj orders-mongodb ;;
"get pods -A -l app.kubernetes.io/name=psmdb-operator --field-selector=status.phase=Running -o name") if [ "$FAKE_OPERATOR" = 1 ]; then echo pod/psmdb-operator-7d9f; fi ;;
"patch $bkp -n mongodb daily-1 --type=merge -p "*) mark daily-1 unfinalized ;;
"patch $psmdb -n mongodb orders-mongodb --type=merge -p "*) mark orders-mongodb unfinalized ;;
"patch "*) echo "Error from server (NotFound): $2 \"$5\" not found" >&2; exit 1 ;;
"delete $bkp --all -A"*) mark daily-1 deleted ;;
"delete $psmdb --all -A"*) mark orders-mongodb deleted; if [ "$FAKE_OPERATOR" = 1 ]; then mark orders-mongodb unfinalized; fi ;;
"get pvc -A"* | "get pv "*) ;;
"delete "*) ;;
*) echo "fake kubectl: unexpected $*" >&2; exit 3 ;;
esac
`

func writeExec(tb testing.TB, dir, name, src string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o755); err != nil {
		tb.Fatal(err)
	}
}

// runScript runs a script of infra/scripts in a closed-PATH sandbox (platform/internal/clisandbox)
// holding the fake aws and kubectl (and terraform when fakeTF) plus the basic real programs; it
// returns output, the fakes' call log and the exit code.
func runScript(t *testing.T, script string, args []string, env ...string) (out, calls string, code int) {
	t.Helper()
	sb := clisandbox.New(t)
	sb.Fake(t, "aws", fakeAWS)
	sb.Fake(t, "kubectl", fakeKubectl)
	sb.Fake(t, "terraform", fakeTerraform)
	sb.Real(t, clisandbox.Basics...)
	path, err := filepath.Abs(filepath.Join(infraDir, "scripts", script))
	if err != nil {
		t.Fatal(err)
	}
	sb.Setenv("FAKE_LB_POLLS=2", "PRE_DESTROY_POLL=0", "TERRAFORM="+filepath.Join(sb.Bin, "terraform"))
	r := sb.Run(t, path, args, env...)
	return r.Output, strings.Join(sb.Calls(t), "\n"), r.Code
}

// inOrder asserts that each want line occurs in calls, in this order.
func inOrder(t *testing.T, calls string, want ...string) {
	t.Helper()
	rest := calls
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("calls lack %q (in order); calls:\n%s", w, calls)
		}
		rest = rest[i+len(w):]
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
	// The ALB was still there twice: the script polled until it was gone.
	if got := strings.Count(calls, "resourcegroupstaggingapi get-resources"); got != 3 {
		t.Errorf("load balancer polls = %d, want 3 (two while present, one empty)", got)
	}
	if strings.Contains(calls, "delete prometheuses") {
		t.Errorf("deleted Prometheus objects although their CRD is absent:\n%s", calls)
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
				"kubectl patch perconaservermongodbbackups.psmdb.percona.com -n mongodb daily-1 --type=merge -p {\"metadata\":{\"finalizers\":null}}",
				"kubectl delete perconaservermongodbbackups.psmdb.percona.com --all -A",
				"kubectl delete perconaservermongodbs.psmdb.percona.com --all -A",
				"kubectl delete statefulset --all -A",
			)
			patchedCluster := strings.Contains(calls, "kubectl patch perconaservermongodbs.psmdb.percona.com")
			if want := operator == "0"; patchedCluster != want {
				t.Errorf("replica set's finalizers removed = %v, want %v (operator running: %s); calls:\n%s", patchedCluster, want, operator, calls)
			}
			if !strings.Contains(out, "no perconaservermongodbbackups.psmdb.percona.com objects left") || !strings.Contains(out, "no perconaservermongodbs left") {
				t.Errorf("output does not report the Percona objects gone:\n%s", out)
			}
		})
	}
}

func TestPreDestroyFailsWhenTheLoadBalancerStays(t *testing.T) {
	out, calls, code := runScript(t, "pre-destroy.sh", nil,
		"AWS_REGION=eu-west-1", "EKS_CLUSTER_NAME=orderstack-prod", "FAKE_LB_POLLS=1000000", "PRE_DESTROY_TIMEOUT=0")
	if code == 0 {
		t.Fatalf("pre-destroy.sh exited 0 with the ALB still there:\n%s", out)
	}
	if !strings.Contains(out, "timed out") || !strings.Contains(out, "loadbalancer/app/k8s-orders") {
		t.Errorf("output does not name the leftover load balancer:\n%s", out)
	}
	if strings.Contains(calls, "delete-volume") {
		t.Errorf("deleted volumes before the load balancers were gone:\n%s", calls)
	}
}

func TestPreDestroyNeedsACluster(t *testing.T) {
	out, _, code := runScript(t, "pre-destroy.sh", nil, "AWS_REGION=eu-west-1")
	if code != 2 || !strings.Contains(out, "EKS_CLUSTER_NAME") {
		t.Errorf("pre-destroy.sh without ENV = exit %d, %q; want exit 2 naming EKS_CLUSTER_NAME", code, out)
	}
}

// A fake terraform whose behaviour $FAKE_TF selects: offline, ok, invalid or broken.
const fakeTerraform = `case "$FAKE_TF $2" in
"offline init") echo 'Error: Failed to query available provider packages: could not connect to registry.terraform.io' >&2; exit 1 ;;
"broken init") echo 'Error: Unsupported Terraform Core version' >&2; exit 1 ;;
"invalid validate") echo 'Error: Unsupported argument' >&2; exit 1 ;;
*) exit 0 ;;
esac
`

func TestTfValidate(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		wantCode int
		wantOut  string
	}{
		{"offline", 0, "SKIPPED envs, terraform init cannot download the providers"},
		{"ok", 0, "tf-validate: ok envs"},
		{"invalid", 1, "FAIL bootstrap: terraform validate"},
		{"broken", 1, "Unsupported Terraform Core version"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			out, calls, code := runScript(t, "tf-validate.sh", nil, "FAKE_TF="+tc.mode)
			if code != tc.wantCode || !strings.Contains(out, tc.wantOut) {
				t.Errorf("tf-validate.sh (%s) = exit %d, output:\n%s\nwant exit %d with %q", tc.mode, code, out, tc.wantCode, tc.wantOut)
			}
			if n := strings.Count(calls, "init -backend=false"); n != 2 {
				t.Errorf("terraform init ran %d times, want once per root (2):\n%s", n, calls)
			}
		})
	}
}

func TestTfValidateWithoutTerraform(t *testing.T) {
	out, _, code := runScript(t, "tf-validate.sh", nil, "TERRAFORM=/nonexistent/terraform")
	if code != 0 || !strings.Contains(out, "SKIPPED, no terraform binary") {
		t.Errorf("tf-validate.sh without terraform = exit %d, %q; want 0 and a SKIPPED line", code, out)
	}
}
