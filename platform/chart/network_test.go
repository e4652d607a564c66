package chart

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

const (
	certARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	wafARN  = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/orders/a1b2c3d4-5678-90ab-cdef-1234567890ab"
)

// servicePortTarget resolves a Service port (by name or number) to the
// container port it reaches.
func servicePortTarget(tb testing.TB, svc *corev1.Service, c corev1.Container, port networkingv1.ServiceBackendPort) int32 {
	tb.Helper()
	for _, p := range svc.Spec.Ports {
		if (port.Name != "" && p.Name == port.Name) || (port.Name == "" && p.Port == port.Number) {
			return containerPort(tb, c, p.TargetPort)
		}
	}
	tb.Fatalf("Service %s has no port %+v", svc.Name, port)
	return 0
}

func TestService(t *testing.T) {
	r := mustRender(t, renderOptions{})
	svc := one[corev1.Service](t, r.objects)
	d := one[appsv1.Deployment](t, r.objects)
	c := container(t, d)

	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || len(svc.Spec.Selector) == 0 {
		t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, d.Spec.Template.Labels)
	}
	type port struct {
		Port, Target int32
	}
	got := map[string]port{}
	for _, p := range svc.Spec.Ports {
		got[p.Name] = port{p.Port, containerPort(t, c, p.TargetPort)}
	}
	want := map[string]port{"http": {80, apiPort}, "metrics": {metricsPort, metricsPort}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Service ports (-want +got):\n%s", diff)
	}
}

func TestIngress(t *testing.T) {
	always := map[string]string{
		"alb.ingress.kubernetes.io/target-type":      "ip",
		"alb.ingress.kubernetes.io/scheme":           "internet-facing",
		"alb.ingress.kubernetes.io/healthcheck-path": "/readyz",
		"alb.ingress.kubernetes.io/group.name":       "orders",
	}
	tlsOnly := []string{
		"alb.ingress.kubernetes.io/listen-ports",
		"alb.ingress.kubernetes.io/ssl-redirect",
		"alb.ingress.kubernetes.io/certificate-arn",
		"alb.ingress.kubernetes.io/ssl-policy",
	}
	const waf = "alb.ingress.kubernetes.io/wafv2-acl-arn"

	tests := []struct {
		name    string
		files   []string
		set     []string
		wantTLS bool
		wantWAF bool
	}{
		{"default: HTTP only", nil, nil, false, false},
		{"prod without certificate", []string{"values-prod.yaml"}, nil, false, false},
		{"certificate", nil, []string{"ingress.certificateArn=" + certARN}, true, false},
		{"certificate and WAF", []string{"values-prod.yaml"}, []string{"ingress.certificateArn=" + certARN, "ingress.wafv2AclArn=" + wafARN}, true, true},
		{"WAF without certificate", nil, []string{"ingress.wafv2AclArn=" + wafARN}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: tt.files, set: tt.set})
			ing := one[networkingv1.Ingress](t, r.objects)
			svc := one[corev1.Service](t, r.objects)
			c := container(t, one[appsv1.Deployment](t, r.objects))
			a := ing.Annotations

			if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "alb" {
				t.Errorf("ingressClassName = %v, want alb", ing.Spec.IngressClassName)
			}
			for k, v := range always {
				if a[k] != v {
					t.Errorf("annotation %s = %q, want %q", k, a[k], v)
				}
			}
			for _, k := range tlsOnly {
				if _, ok := a[k]; ok != tt.wantTLS {
					t.Errorf("annotation %s present = %v, want %v", k, ok, tt.wantTLS)
				}
			}
			if tt.wantTLS {
				var listen []map[string]int
				if err := json.Unmarshal([]byte(a["alb.ingress.kubernetes.io/listen-ports"]), &listen); err != nil {
					t.Fatalf("listen-ports is not JSON: %v", err)
				}
				if diff := cmp.Diff([]map[string]int{{"HTTP": 80}, {"HTTPS": 443}}, listen); diff != "" {
					t.Errorf("listen-ports (-want +got):\n%s", diff)
				}
				if a["alb.ingress.kubernetes.io/ssl-redirect"] != "443" {
					t.Errorf("ssl-redirect = %q, want 443", a["alb.ingress.kubernetes.io/ssl-redirect"])
				}
				if a["alb.ingress.kubernetes.io/certificate-arn"] != certARN {
					t.Errorf("certificate-arn = %q, want %q", a["alb.ingress.kubernetes.io/certificate-arn"], certARN)
				}
			}
			if got, ok := a[waf]; ok != tt.wantWAF || (ok && got != wafARN) {
				t.Errorf("annotation %s = %q (present %v), want present %v", waf, got, ok, tt.wantWAF)
			}

			// Every backend reaches the API port and never the metrics port.
			if ing.Spec.DefaultBackend != nil {
				t.Error("Ingress has a defaultBackend; only the explicit API rule may route")
			}
			n := 0
			for _, rule := range ing.Spec.Rules {
				if rule.HTTP == nil {
					continue
				}
				for _, p := range rule.HTTP.Paths {
					n++
					b := p.Backend.Service
					if b == nil || b.Name != svc.Name {
						t.Errorf("path %s routes to %+v, want Service %s", p.Path, b, svc.Name)
						continue
					}
					if got := servicePortTarget(t, svc, c, b.Port); got != apiPort {
						t.Errorf("path %s reaches container port %d, want only %d", p.Path, got, apiPort)
					}
				}
			}
			if n == 0 {
				t.Error("Ingress routes nothing")
			}
		})
	}

	t.Run("host", func(t *testing.T) {
		r := mustRender(t, renderOptions{set: []string{"ingress.host=orders.example.com"}})
		ing := one[networkingv1.Ingress](t, r.objects)
		if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "orders.example.com" {
			t.Errorf("rules = %+v, want one for host orders.example.com", ing.Spec.Rules)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		r := mustRender(t, renderOptions{set: []string{"ingress.enabled=false"}})
		if got := all[networkingv1.Ingress](r.objects); len(got) != 0 {
			t.Errorf("ingress.enabled=false rendered %d Ingresses", len(got))
		}
		if !strings.Contains(r.notes, "port-forward") {
			t.Errorf("NOTES without an Ingress should explain port-forward:\n%s", r.notes)
		}
	})
}

// peerKey describes a NetworkPolicy peer for comparisons.
func peerKey(p networkingv1.NetworkPolicyPeer) string {
	switch {
	case p.IPBlock != nil:
		return "cidr " + p.IPBlock.CIDR
	case p.NamespaceSelector != nil && p.PodSelector == nil:
		return "namespace " + labels.SelectorFromSet(p.NamespaceSelector.MatchLabels).String()
	case p.PodSelector != nil && p.NamespaceSelector == nil:
		return "pods " + labels.SelectorFromSet(p.PodSelector.MatchLabels).String()
	}
	return "other"
}

// portKey describes a NetworkPolicy port, resolving names against the container.
func portKey(tb testing.TB, c corev1.Container, p networkingv1.NetworkPolicyPort) string {
	tb.Helper()
	proto := "TCP"
	if p.Protocol != nil {
		proto = string(*p.Protocol)
	}
	if p.Port == nil {
		return "all/" + proto
	}
	port := *p.Port
	if port.Type == intstr.String {
		port = intstr.FromInt32(containerPort(tb, c, port))
	}
	return port.String() + "/" + proto
}

// flatten lists a policy's rules (peers and ports of each) as "peer -> port" strings.
func flatten[R networkingv1.NetworkPolicyIngressRule | networkingv1.NetworkPolicyEgressRule](tb testing.TB, c corev1.Container, rules []R) []string {
	var out []string
	for _, r := range rules {
		var peers []networkingv1.NetworkPolicyPeer
		var ports []networkingv1.NetworkPolicyPort
		switch r := any(r).(type) {
		case networkingv1.NetworkPolicyIngressRule:
			peers, ports = r.From, r.Ports
		case networkingv1.NetworkPolicyEgressRule:
			peers, ports = r.To, r.Ports
		}
		if len(peers) == 0 || len(ports) == 0 {
			out = append(out, "ANY")
			continue
		}
		for _, f := range peers {
			for _, p := range ports {
				out = append(out, peerKey(f)+" -> "+portKey(tb, c, p))
			}
		}
	}
	return out
}

func TestNetworkPolicy(t *testing.T) {
	tests := []struct {
		name       string
		files      []string
		set        []string
		wantCIDRIn []string
	}{
		{"default", nil, nil, []string{"cidr 10.0.0.0/16 -> 3000/TCP"}},
		{"dev", []string{"values-dev.yaml"}, nil, []string{"cidr 10.10.0.0/20 -> 3000/TCP", "cidr 10.10.16.0/20 -> 3000/TCP", "cidr 10.10.32.0/20 -> 3000/TCP"}},
		{"prod", []string{"values-prod.yaml"}, nil, []string{"cidr 10.20.0.0/20 -> 3000/TCP", "cidr 10.20.16.0/20 -> 3000/TCP", "cidr 10.20.32.0/20 -> 3000/TCP"}},
		{"two CIDRs", nil, []string{"networkPolicy.albSourceCidrs={10.1.0.0/16,100.64.0.0/16}"}, []string{"cidr 10.1.0.0/16 -> 3000/TCP", "cidr 100.64.0.0/16 -> 3000/TCP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: tt.files, set: tt.set})
			np := one[networkingv1.NetworkPolicy](t, r.objects)
			d := one[appsv1.Deployment](t, r.objects)
			c := container(t, d)

			sel := labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels)
			if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("podSelector %v does not select the pods", sel)
			}
			if diff := cmp.Diff([]networkingv1.PolicyType{"Ingress", "Egress"}, np.Spec.PolicyTypes); diff != "" {
				t.Errorf("policyTypes (-want +got):\n%s", diff)
			}

			testPod := one[corev1.Pod](t, r.hooks)
			wantIn := append(append([]string{}, tt.wantCIDRIn...),
				"pods "+labels.SelectorFromSet(map[string]string{"app.kubernetes.io/instance": releaseName, "app.kubernetes.io/component": "helm-test"}).String()+" -> 3000/TCP",
				"namespace kubernetes.io/metadata.name=monitoring -> 9090/TCP",
			)
			if diff := cmp.Diff(wantIn, flatten(t, c, np.Spec.Ingress)); diff != "" {
				t.Errorf("ingress rules (-want +got):\n%s", diff)
			}
			// The helm test Pod is the one the pod rule admits.
			for _, rule := range np.Spec.Ingress {
				for _, f := range rule.From {
					if f.PodSelector != nil && !labels.SelectorFromSet(f.PodSelector.MatchLabels).Matches(labels.Set(testPod.Labels)) {
						t.Errorf("pod rule %v does not admit the helm test Pod %v", f.PodSelector.MatchLabels, testPod.Labels)
					}
				}
			}

			wantOut := []string{
				"namespace kubernetes.io/metadata.name=kube-system -> 53/UDP",
				"namespace kubernetes.io/metadata.name=kube-system -> 53/TCP",
				"namespace kubernetes.io/metadata.name=mongodb -> 27017/TCP",
			}
			if diff := cmp.Diff(wantOut, flatten(t, c, np.Spec.Egress)); diff != "" {
				t.Errorf("egress rules (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNetworkPolicyMatchesVPC: each environment admits the API from exactly the public subnets
// Terraform makes for it (module.stack.module.network's aws_subnet.public, as the pinned
// terraform applies infra/envs with <env>.tfvars on mocked providers: tfrun), where the
// internet-facing ALB's ENIs live: a mismatch would cut the ALB off from every pod, and the whole
// VPC CIDR would admit every pod of the cluster too (with the VPC CNI each has a VPC address).
func TestNetworkPolicyMatchesVPC(t *testing.T) {
	const subnets = "module.stack.module.network.aws_subnet.public"
	envs, err := tfrun.Apply(repo.Root(t), nil)
	if errors.Is(err, tfrun.ErrNoTerraform) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for name, env := range envs {
		t.Run(name, func(t *testing.T) {
			var want []string
			for _, r := range env.State.Resources {
				if strings.HasPrefix(r.Address, subnets+"[") {
					want = append(want, r.Values["cidr_block"].(string))
				}
			}
			if len(want) == 0 {
				t.Fatal("no public subnets")
			}
			r := mustRender(t, renderOptions{valueFiles: []string{"values-" + name + ".yaml"}})
			np := one[networkingv1.NetworkPolicy](t, r.objects)
			var cidrs []string
			for _, rule := range np.Spec.Ingress {
				for _, f := range rule.From {
					if f.IPBlock != nil {
						cidrs = append(cidrs, f.IPBlock.CIDR)
					}
				}
			}
			if diff := cmp.Diff(want, cidrs); diff != "" {
				t.Errorf("values-%s.yaml networkPolicy.albSourceCidrs vs. infra public subnets (-infra +chart):\n%s", name, diff)
			}
		})
	}
}
