package chart

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

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
			var want, got []string
			for _, r := range env.State.Resources {
				if strings.HasPrefix(r.Address, subnets+"[") {
					want = append(want, r.Values["cidr_block"].(string))
				}
			}
			if len(want) == 0 {
				t.Fatal("no public subnets")
			}
			np := one[networkingv1.NetworkPolicy](t, render(t, environments[name], nil).objects)
			for _, rule := range np.Spec.Ingress {
				for _, f := range rule.From {
					if f.IPBlock != nil {
						got = append(got, f.IPBlock.CIDR)
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("values-%s.yaml networkPolicy.albSourceCidrs vs. infra public subnets (-infra +chart):\n%s", name, diff)
			}
		})
	}
}
