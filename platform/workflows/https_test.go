package workflows

import (
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
)

// TestDeployAppHTTPS: the environment's certificate reaches Helm (the chart then listens on 443 and
// redirects HTTP to HTTPS): from CI's CERTIFICATE_ARN/PUBLIC_HOST, or on the laptop path from the
// Terraform outputs certificate_arn/public_host; without either the release stays HTTP only, and a
// malformed ARN stops the deploy before Helm.
func TestDeployAppHTTPS(t *testing.T) {
	const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	https := "--set-string ingress.certificateArn=" + arn + " --set-string ingress.host=orders.example.com"
	for _, tc := range []struct {
		name, helm string // helm: what the helm upgrade call holds ("" = no ingress.* set; "-" = no helm at all)
		env        []string
	}{
		{"CI with a certificate", https, []string{"CERTIFICATE_ARN=" + arn, "PUBLIC_HOST=orders.example.com"}},
		{"CI without one", "", nil},
		{"laptop, from Terraform", https, []string{"ECR_REPOSITORY_URL=", "AWS_REGION=", "FAKE_TF_CERTIFICATE_ARN=" + arn, "FAKE_TF_PUBLIC_HOST=orders.example.com"}},
		{"laptop, Terraform has no domain", "", []string{"ECR_REPOSITORY_URL=", "AWS_REGION="}},
		{"malformed ARN", "-", []string{"CERTIFICATE_ARN=arn:aws:iam::123456789012:role/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			s.image(t, devRepo, testSHA, fakeDigest)
			if _, code := deployApp(t, s, tc.env...); code != map[bool]int{true: 1, false: 0}[tc.helm == "-"] {
				t.Fatalf("deploy-app.sh exit = %d", code)
			}
			i := clisandbox.Index(s.Calls(t), 0, `^helm upgrade --install orders `)
			switch {
			case tc.helm == "-":
				s.never(t, 0, `^helm upgrade`, "helm ran after a malformed CERTIFICATE_ARN")
			case i < 0:
				t.Fatalf("no helm upgrade; calls:\n%s", strings.Join(s.Calls(t), "\n"))
			case tc.helm == "" && strings.Contains(s.Calls(t)[i], "ingress."), !strings.Contains(s.Calls(t)[i], tc.helm):
				t.Errorf("helm upgrade = %s, want %q (and no ingress.* without a certificate)", s.Calls(t)[i], tc.helm)
			}
		})
	}
}
