//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

// readinessGateLabel makes the AWS Load Balancer Controller's webhook inject its target-health
// readiness gate into the namespace's pods (aws-load-balancer-controller, deploy/pod_readiness_gate).
const readinessGateLabel = "elbv2.k8s.aws/pod-readiness-gate-inject"

// createTerraformNamespace creates namespace name with the labels Terraform gives
// kubernetes_namespace_v1.<resource> in infra/modules/addons, and returns what the server stored.
func (k *kube) createTerraformNamespace(ctx context.Context, root, resource, name string) *corev1.Namespace {
	k.t.Helper()
	// Labels as the pinned terraform applies them (prod's tfvars; tfrun, cached with the other
	// checks' run), not as a hand reading of the HCL.
	envs, err := tfrun.Apply(root, nil)
	if err != nil {
		k.t.Fatal(err)
	}
	labels := map[string]string{}
	found := false
	for _, r := range envs["prod"].State.Resources {
		if r.Address != "module.stack.module.addons.kubernetes_namespace_v1."+resource {
			continue
		}
		found = true
		if md, ok := r.Values["metadata"].([]any); ok && len(md) == 1 {
			m, _ := md[0].(map[string]any)
			ls, _ := m["labels"].(map[string]any)
			for key, v := range ls {
				labels[key], _ = v.(string)
			}
		}
	}
	if !found {
		k.t.Fatalf("terraform made no kubernetes_namespace_v1.%s in modules/addons", resource)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	got, err := k.c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// An earlier phase made it bare (the MongoDB chart's dry run): give it Terraform's labels.
		if got, err = k.c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{}); err == nil {
			for key, v := range labels {
				got.Labels[key] = v
			}
			got, err = k.c.Client.CoreV1().Namespaces().Update(ctx, got, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		k.t.Fatalf("create namespace %s as Terraform defines it: %v", name, err)
	}
	k.t.Logf("namespace %s labels (from infra/modules/addons kubernetes_namespace_v1.%s): %v", name, resource, got.Labels)
	return got
}

// checkReadinessGateLabel: the orders namespace, as the API server stored it, carries the label
// that turns on the ALB readiness gate; without it a rolling update can leave the target group
// with only initial/draining targets.
func (k *kube) checkReadinessGateLabel(ctx context.Context, name string) {
	k.t.Helper()
	ns, err := k.c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	if got := ns.Labels[readinessGateLabel]; got != "enabled" {
		k.t.Errorf("namespace %s label %s = %q, want \"enabled\" (labels %v)", name, readinessGateLabel, got, ns.Labels)
	}
}

// backupWithFinalizer is a scheduled backup as operator 1.21.1 creates it when retention deletes
// from storage (pkg/psmdb/backup/job.go BackupFromTask): the percona.com/delete-backup finalizer
// and no owner reference.
func backupWithFinalizer(ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "psmdb.percona.com/v1",
		"kind":       "PerconaServerMongoDBBackup",
		"metadata": map[string]any{
			"name":       name,
			"namespace":  ns,
			"finalizers": []any{"percona.com/delete-backup"},
		},
		"spec": map[string]any{
			"clusterName":     "orders-mongodb",
			"storageName":     "s3",
			"type":            "logical",
			"compressionType": "gzip",
		},
	}}
}

// fakeAWSEmptyAccount answers pre-destroy.sh's AWS calls like an account where the cluster left
// nothing behind; any other call fails, so a new AWS call in the script shows up here.
const fakeAWSEmptyAccount = `#!/usr/bin/env bash
case "$*" in
"eks describe-cluster --name orderstack-e2e --query cluster.resourcesVpcConfig.vpcId --output text") echo vpc-0e2e ;;
"resourcegroupstaggingapi get-resources "* | "ec2 describe-network-interfaces "* | "ec2 describe-volumes "* | "ec2 describe-security-groups "*) ;;
*) echo "fake aws: unexpected call: $*" >&2; exit 3 ;;
esac
`

// checkTeardown plays `make destroy` after the operator is gone: a namespace whose backup keeps
// the delete-backup finalizer hangs in Terminating (shown on a control namespace deleted first),
// infra/scripts/pre-destroy.sh run with a real kubectl removes what blocks it, and then deleting
// namespace mongodb, as terraform destroy does, completes.
func (k *kube) checkTeardown(ctx context.Context, root, dir string) {
	k.t.Helper()
	control := "mongodb-control"
	k.createTerraformNamespace(ctx, root, "mongodb", "mongodb")
	k.createTerraformNamespace(ctx, root, "mongodb", control)
	for _, ns := range []string{"mongodb", control} {
		if err := k.create(ctx, backupWithFinalizer(ns, "cron-orders-mongodb-20261126030000-abcde"), ns, false, metav1.FieldValidationStrict); err != nil {
			k.t.Fatal(err)
		}
	}

	// Without pre-destroy: the namespace stays, with the finalizer named in its conditions.
	if err := k.c.Client.CoreV1().Namespaces().Delete(ctx, control, metav1.DeleteOptions{}); err != nil {
		k.t.Fatal(err)
	}
	start := time.Now()
	var stuck string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		ns, err := k.c.Client.CoreV1().Namespaces().Get(ctx, control, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range ns.Status.Conditions {
			if c.Type == corev1.NamespaceFinalizersRemaining && c.Status == corev1.ConditionTrue {
				stuck = c.Message
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		k.t.Fatalf("namespace %s: no NamespaceFinalizersRemaining condition within 60s: %v", control, err)
	}
	if !strings.Contains(stuck, "percona.com/delete-backup") {
		k.t.Errorf("namespace %s is stuck on %q, want the percona.com/delete-backup finalizer", control, stuck)
	}
	k.t.Logf("without pre-destroy, namespace %s is stuck after %s: %s", control, time.Since(start).Round(time.Millisecond), stuck)

	// pre-destroy.sh with a real kubectl (built from the platform module) and an empty AWS account.
	bin := filepath.Join(dir, "teardown-bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		k.t.Fatal(err)
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, "kubectl"), "../mongodb/testdata/kubectlmain")
	if out, err := build.CombinedOutput(); err != nil {
		k.t.Fatalf("build kubectl: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWSEmptyAccount), 0o755); err != nil {
		k.t.Fatal(err)
	}
	script := filepath.Join(root, "infra", "scripts", "pre-destroy.sh")
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+k.c.Kubeconfig,
		"EKS_CLUSTER_NAME=orderstack-e2e",
		"AWS_REGION=eu-west-1",
		"PRE_DESTROY_TIMEOUT=120",
		"PRE_DESTROY_POLL=1",
	)
	start = time.Now()
	out, err := cmd.CombinedOutput()
	k.t.Logf("pre-destroy.sh (%s):\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		k.t.Fatalf("pre-destroy.sh: %v", err)
	}

	// What terraform destroy does last: delete the namespace; it must go, and so must the stuck one.
	if err := k.c.Client.CoreV1().Namespaces().Delete(ctx, "mongodb", metav1.DeleteOptions{}); err != nil {
		k.t.Fatal(err)
	}
	start = time.Now()
	for _, ns := range []string{"mongodb", control} {
		if err := k.waitNamespaceGone(ctx, ns, 90*time.Second); err != nil {
			k.t.Error(err)
		}
	}
	k.t.Logf("after pre-destroy, namespaces mongodb and %s deleted in %s", control, time.Since(start).Round(time.Millisecond))
}

func (k *kube) waitNamespaceGone(ctx context.Context, name string, timeout time.Duration) error {
	var last *corev1.Namespace
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		ns, err := k.c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		last = ns
		return false, err
	})
	if err != nil {
		status := "unknown"
		if last != nil {
			status = fmt.Sprintf("%+v", last.Status)
		}
		return fmt.Errorf("namespace %s not deleted within %s (status %s): %w", name, timeout, status, err)
	}
	return nil
}
