package terraform

import (
	"strings"
	"testing"
)

// TestChecksCatchMutationsOfTheRealTree breaks one line of the real infra/ in memory and expects
// the matching check to notice: the checks read the real files, not just toy fixtures.
func TestChecksCatchMutationsOfTheRealTree(t *testing.T) {
	for _, tc := range []struct {
		name, path, old, new string
		check                func([]File) []string
		want                 string
	}{
		{"hop limit", "modules/eks/main.tf", "http_put_response_hop_limit = 1", "http_put_response_hop_limit = 2",
			CheckNodes, "hop_limit must be 1"},
		{"IMDSv1", "modules/eks/main.tf", `http_tokens                 = "required"`, `http_tokens                 = "optional"`,
			CheckNodes, "IMDSv2"},
		{"key rotation", "modules/eks/main.tf", "enable_key_rotation     = true", "enable_key_rotation     = false",
			CheckEKS, "key rotation is off"},
		{"audit log", "modules/eks/locals.tf", `"audit", `, "",
			CheckEKS, `"audit" not enabled`},
		{"nodes in public subnets", "modules/network/outputs.tf", "zipmap(var.availability_zones, aws_subnet.private[*].id)", "zipmap(var.availability_zones, aws_subnet.public[*].id)",
			CheckNodes, "not built from aws_subnet.private"},
		{"mutable tags", "modules/ecr/main.tf", `"IMMUTABLE"`, `"MUTABLE"`,
			CheckECR, "want IMMUTABLE"},
		{"wildcard branch", "modules/iam-github/locals.tf", "ref:refs/heads/${var.github_branch}", "ref:refs/heads/*",
			CheckGitHubTrust, "not limited to this repository"},
		{"StringLike subject", "modules/iam-github/main.tf", `test     = "StringEquals"
      variable = "${local.oidc_host}:sub"`, `test     = "StringLike"
      variable = "${local.oidc_host}:sub"`,
			CheckGitHubTrust, "want StringEquals"},
		{"backup bucket public", "modules/backup-bucket/main.tf", "restrict_public_buckets = true", "restrict_public_buckets = false",
			CheckBuckets, "restrict_public_buckets is not true"},
		{"state bucket unversioned", "bootstrap/main.tf", `status = "Enabled"`, `status = "Suspended"`,
			CheckBuckets, "versioning not Enabled"},
		{"no lockfile", "envs/prod/backend.tf", "use_lockfile = true", "use_lockfile = false",
			func(f []File) []string { return CheckBackends(f, envRoots) }, "without use_lockfile"},
		{"open endpoint port", "modules/network/main.tf", "cidr_ipv4         = aws_vpc.this.cidr_block\n  ip_protocol       = \"tcp\"\n  from_port         = 443", "cidr_ipv4         = \"0.0.0.0/0\"\n  ip_protocol       = \"tcp\"\n  from_port         = 22",
			CheckOpenIngress, "other than 80/443"},
		{"renamed module output", "envs/dev/providers.tf", "host                   = module.stack.cluster_endpoint", "host                   = module.stack.endpoint",
			CheckReferences, `has no output "endpoint"`},
		{"renamed stack output", "modules/stack/main.tf", "private_subnet_ids_by_az = module.network.private_subnet_ids_by_az", "private_subnet_ids_by_az = module.network.private_subnets",
			CheckReferences, `has no output "private_subnets"`},
		{"typo in a module argument", "modules/stack/main.tf", "single_nat_gateway       = var.single_nat_gateway", "single_nat_gw            = var.single_nat_gateway",
			CheckReferences, `declares no variable "single_nat_gw"`},
		{"typo in an environment's choice", "envs/prod/main.tf", "flow_logs_enabled      = true", "flow_log_enabled       = true",
			CheckReferences, `declares no variable "flow_log_enabled"`},
		{"env forgets a choice", "envs/prod/main.tf", "  prometheus_retention   = \"30d\"\n", "",
			func(f []File) []string { return CheckEnvRoots(f, envRoots, stackDir) }, "does not set prometheus_retention"},
		{"env providers drift", "envs/prod/providers.tf", "default_tags {", "ignore_tags {\n    keys = [\"x\"]\n  }\n\n  default_tags {",
			func(f []File) []string { return CheckEnvRoots(f, envRoots, stackDir) }, "envs/prod/providers.tf differs"},
		{"resource in an env root", "envs/dev/main.tf", "module \"stack\" {", "# Local extra.\nresource \"aws_sns_topic\" \"extra\" {}\n\nmodule \"stack\" {",
			func(f []File) []string { return CheckEnvRoots(f, envRoots, stackDir) }, "resource block in an environment root"},
		{"env computes an argument", "envs/dev/main.tf", "vpc_cidr               = var.vpc_cidr", "vpc_cidr               = cidrsubnet(var.vpc_cidr, 1, 0)",
			func(f []File) []string { return CheckEnvRoots(f, envRoots, stackDir) }, "neither a constant nor var.vpc_cidr"},
		{"env output not passed through", "envs/dev/outputs.tf", "value       = module.stack.cluster_name", "value       = \"orderstack-dev\"",
			func(f []File) []string { return CheckEnvRoots(f, envRoots, stackDir) }, `output "cluster_name": value is not module.stack.cluster_name`},
		{"stack repository check dropped", "modules/stack/variables.tf", `can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))`, "length(var.github_repository) > 0",
			CheckGitHubTrust, "envs/dev/variables.tf"},
		{"unpinned chart", "modules/addons/main.tf", "version    = var.chart_versions.kube_prometheus_stack\n", "",
			CheckHelmReleases, "without version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := loadInfra(t)
			if problems := tc.check(files); len(problems) != 0 {
				t.Fatalf("unmutated tree already has problems: %q", problems)
			}
			found := false
			for i, f := range files {
				if f.Path != tc.path {
					continue
				}
				src := string(f.Src)
				if !strings.Contains(src, tc.old) {
					t.Fatalf("%s does not contain %q; update the mutation", tc.path, tc.old)
				}
				mutated, err := Parse(f.Path, []byte(strings.Replace(src, tc.old, tc.new, 1)))
				if err != nil {
					t.Fatal(err)
				}
				files[i], found = mutated, true
			}
			if !found {
				t.Fatalf("no file %s", tc.path)
			}
			wantProblem(t, tc.check(files), tc.want)
		})
	}
}
