package chart

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestServiceAccount(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/orders"
	tests := []struct {
		name     string
		set      []string
		wantSA   bool
		wantName string
		wantRole string
	}{
		{"default: own account, no IAM role (EKS Pod Identity)", nil, true, "orders", ""},
		{"IRSA role", []string{"serviceAccount.roleArn=" + role}, true, "orders", role},
		{"existing account", []string{"serviceAccount.create=false", "serviceAccount.name=shared"}, false, "shared", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{set: tt.set})
			d := one[appsv1.Deployment](t, r.objects)
			if got := d.Spec.Template.Spec.ServiceAccountName; got != tt.wantName {
				t.Errorf("pod serviceAccountName = %q, want %q", got, tt.wantName)
			}
			sas := all[corev1.ServiceAccount](r.objects)
			if (len(sas) == 1) != tt.wantSA || len(sas) > 1 {
				t.Fatalf("rendered %d ServiceAccounts, want created=%v", len(sas), tt.wantSA)
			}
			if !tt.wantSA {
				return
			}
			sa := sas[0]
			if sa.Name != tt.wantName {
				t.Errorf("ServiceAccount name = %q, want %q", sa.Name, tt.wantName)
			}
			if got := sa.Annotations["eks.amazonaws.com/role-arn"]; got != tt.wantRole {
				t.Errorf("role-arn annotation = %q, want %q", got, tt.wantRole)
			}
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Error("ServiceAccount automountServiceAccountToken not false")
			}
		})
	}
}
