package chart

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// The ALB's attributes: access logs to the bucket Terraform made (module edge), deletion
// protection in prod only. The controller reads them from one annotation, comma-separated
// key=value pairs (aws-load-balancer-controller v2.13 docs, ingress annotations,
// load-balancer-attributes).
func TestIngressLoadBalancerAttributes(t *testing.T) {
	const attrs = "alb.ingress.kubernetes.io/load-balancer-attributes"
	const bucket = "orderstack-prod-alb-logs-123456789012"
	tests := []struct {
		name  string
		files []string
		set   []string
		want  string // "" means no annotation
	}{
		{"default: none", nil, nil, ""},
		{"dev with logs", []string{"values-dev.yaml"}, []string{"ingress.accessLogsBucket=" + bucket},
			"access_logs.s3.enabled=true,access_logs.s3.bucket=" + bucket + ",access_logs.s3.prefix=alb"},
		{"prod without logs: deletion protection", []string{"values-prod.yaml"}, nil, "deletion_protection.enabled=true"},
		{"prod with logs", []string{"values-prod.yaml"}, []string{"ingress.accessLogsBucket=" + bucket},
			"access_logs.s3.enabled=true,access_logs.s3.bucket=" + bucket + ",access_logs.s3.prefix=alb,deletion_protection.enabled=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: tt.files, set: tt.set})
			got, ok := one[networkingv1.Ingress](t, r.objects).Annotations[attrs]
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("%s = %q (present %v), want %q", attrs, got, ok, tt.want)
			}
		})
	}
	// A bucket name that is not one is refused by the schema.
	if _, err := render(t, renderOptions{set: []string{"ingress.accessLogsBucket=Not_A_Bucket"}}); err == nil {
		t.Error("ingress.accessLogsBucket=Not_A_Bucket rendered")
	}
}
