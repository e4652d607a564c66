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
		{"open endpoint port", "modules/network/main.tf", "cidr_ipv4         = aws_vpc.this.cidr_block\n  ip_protocol       = \"tcp\"\n  from_port         = 443", "cidr_ipv4         = \"0.0.0.0/0\"\n  ip_protocol       = \"tcp\"\n  from_port         = 22",
			CheckOpenIngress, "other than 80/443"},
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
