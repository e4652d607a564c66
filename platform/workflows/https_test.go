package workflows

import (
	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"regexp"
	"strings"
	"testing"
)

const fakeCertARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

// TestDeployAppHTTPS: the environment's certificate reaches Helm (the chart then listens on 443 and
// redirects HTTP to HTTPS): from CI's CERTIFICATE_ARN/PUBLIC_HOST, or on the laptop path from the
// Terraform outputs certificate_arn/public_host; without either the release stays HTTP only, and a
// malformed ARN stops the deploy before Helm.
func TestDeployAppHTTPS(t *testing.T) {
	certSet := "ingress.certificateArn=" + regexp.QuoteMeta(fakeCertARN)
	for _, tc := range []struct {
		name      string
		env       []string
		wantCode  int
		wantHelm  []string // patterns the helm upgrade call must match
		wantNoSet bool     // no ingress.* set at all
	}{
		{"CI with a certificate", []string{"CERTIFICATE_ARN=" + fakeCertARN, "PUBLIC_HOST=orders.example.com"}, 0,
			[]string{certSet, `ingress\.host=orders\.example\.com`}, false},
		{"CI without one", nil, 0, nil, true},
		{"laptop, from Terraform", []string{"ECR_REPOSITORY_URL=", "AWS_REGION=", "FAKE_TF_CERTIFICATE_ARN=" + fakeCertARN, "FAKE_TF_PUBLIC_HOST=orders.example.com"}, 0,
			[]string{certSet, `ingress\.host=orders\.example\.com`}, false},
		{"laptop, Terraform has no domain", []string{"ECR_REPOSITORY_URL=", "AWS_REGION="}, 0, nil, true},
		{"malformed ARN", []string{"CERTIFICATE_ARN=arn:aws:iam::123456789012:role/x"}, 1, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			s.image(t, "orderstack-dev/orders", testSHA, fakeDigest)
			_, code := deployApp(t, s, tc.env...)
			if code != tc.wantCode {
				t.Fatalf("deploy-app.sh exit = %d, want %d", code, tc.wantCode)
			}
			calls := s.Calls(t)
			i := clisandbox.Index(calls, 0, `^helm upgrade --install orders `)
			if tc.wantCode != 0 {
				if i >= 0 {
					t.Errorf("helm ran after a malformed CERTIFICATE_ARN: %s", calls[i])
				}
				return
			}
			if i < 0 {
				t.Fatalf("no helm upgrade; calls:\n%s", strings.Join(calls, "\n"))
			}
			for _, p := range tc.wantHelm {
				if !regexp.MustCompile(p).MatchString(calls[i]) {
					t.Errorf("helm upgrade lacks %s: %s", p, calls[i])
				}
			}
			if tc.wantNoSet && strings.Contains(calls[i], "ingress.") {
				t.Errorf("helm upgrade sets ingress values without a certificate: %s", calls[i])
			}
		})
	}
}
