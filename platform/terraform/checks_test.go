package terraform

import (
	"strings"
	"testing"
)

// Each check must catch what it is for: run it on a small bad tree and expect a named problem.

func parseTree(tb testing.TB, tree map[string]string) []File {
	tb.Helper()
	var files []File
	for path, src := range tree {
		f, err := Parse(path, []byte(src))
		if err != nil {
			tb.Fatalf("Parse(%s): %v", path, err)
		}
		files = append(files, f)
	}
	return files
}

func wantProblem(t *testing.T, problems []string, substr string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, substr) {
			return
		}
	}
	t.Errorf("problems = %q, want one containing %q", problems, substr)
}

func TestChecksCatchViolations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tree  map[string]string
		check func([]File) []string
		want  string
	}{
		{
			name:  "password output",
			tree:  map[string]string{"m/outputs.tf": "output \"grafana_password\" {\n  description = \"x\"\n  value = \"a\"\n}\n"},
			check: CheckOutputs,
			want:  "looks like a secret",
		},
		{
			name:  "sensitive output",
			tree:  map[string]string{"m/outputs.tf": "output \"x\" {\n  description = \"x\"\n  value = 1\n  sensitive = true\n}\n"},
			check: CheckOutputs,
			want:  "sensitive outputs are not allowed",
		},
		{
			name:  "registry module",
			tree:  map[string]string{"r/main.tf": "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\n"},
			check: CheckModuleSources,
			want:  "is not a local path",
		},
		{
			name:  "unpinned chart",
			tree:  map[string]string{"m/main.tf": "resource \"helm_release\" \"x\" {\n  repository = \"https://example.invalid\"\n  chart = \"x\"\n}\n"},
			check: CheckHelmReleases,
			want:  "without version",
		},
		{
			name:  "range chart version",
			tree:  map[string]string{"m/main.tf": "resource \"helm_release\" \"x\" {\n  repository = \"https://example.invalid\"\n  chart = \"x\"\n  version = \"~1.2\"\n}\n"},
			check: CheckHelmReleases,
			want:  "is not exact",
		},
		{
			name:  "aws provider without default tags",
			tree:  map[string]string{"envs/x/providers.tf": "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n"},
			check: func(f []File) []string { return CheckDefaultTags(f, []string{"envs/x"}) },
			want:  "without default_tags",
		},
		{
			name:  "EKS without secrets encryption",
			tree:  map[string]string{"m/main.tf": "resource \"aws_eks_cluster\" \"x\" {\n  enabled_cluster_log_types = [\"api\"]\n}\n"},
			check: CheckEKS,
			want:  "no encryption_config",
		},
		{
			name:  "EKS without audit log",
			tree:  map[string]string{"m/main.tf": "locals {\n  l = [\"api\", \"authenticator\", \"controllerManager\", \"scheduler\"]\n}\nresource \"aws_eks_cluster\" \"x\" {\n  enabled_cluster_log_types = local.l\n}\n"},
			check: CheckEKS,
			want:  `"audit" not enabled`,
		},
		{
			name:  "EKS creator admin",
			tree:  map[string]string{"m/main.tf": "resource \"aws_eks_cluster\" \"x\" {\n  access_config {\n    authentication_mode = \"API\"\n    bootstrap_cluster_creator_admin_permissions = true\n  }\n}\n"},
			check: CheckEKS,
			want:  "implicit admin",
		},
		{
			name: "nodes in public subnets",
			tree: map[string]string{
				"modules/eks/main.tf": "resource \"aws_eks_node_group\" \"x\" {\n  subnet_ids = var.subnet_ids\n}\n",
			},
			check: CheckNodes,
			want:  "private-subnet variable",
		},
		{
			name: "private variable fed from public subnets",
			tree: map[string]string{
				"modules/eks/main.tf":    "resource \"aws_eks_node_group\" \"x\" {\n  subnet_ids = var.private_subnet_ids\n}\n",
				"modules/net/main.tf":    "resource \"aws_subnet\" \"public\" {}\nresource \"aws_subnet\" \"private\" {}\n",
				"modules/net/outputs.tf": "output \"ids\" {\n  value = aws_subnet.public[*].id\n}\n",
				"envs/x/main.tf":         "module \"net\" {\n  source = \"../../modules/net\"\n}\nmodule \"eks\" {\n  source = \"../../modules/eks\"\n  private_subnet_ids = module.net.ids\n}\n",
			},
			check: CheckNodes,
			want:  "not built from aws_subnet.private",
		},
		{
			name:  "IMDS hop limit 2",
			tree:  map[string]string{"m/main.tf": "resource \"aws_eks_node_group\" \"x\" {\n  subnet_ids = var.private_subnet_ids\n  launch_template {\n    id = aws_launch_template.n.id\n  }\n}\nresource \"aws_launch_template\" \"n\" {\n  metadata_options {\n    http_tokens = \"optional\"\n    http_put_response_hop_limit = 2\n  }\n}\n"},
			check: CheckNodes,
			want:  "hop_limit must be 1",
		},
		{
			name:  "SSH open to the world",
			tree:  map[string]string{"m/main.tf": "resource \"aws_vpc_security_group_ingress_rule\" \"x\" {\n  cidr_ipv4 = \"0.0.0.0/0\"\n  from_port = 22\n  to_port = 22\n}\n"},
			check: CheckOpenIngress,
			want:  "other than 80/443",
		},
		{
			name:  "inline ingress open to the world",
			tree:  map[string]string{"m/main.tf": "resource \"aws_security_group\" \"x\" {\n  ingress {\n    cidr_blocks = [\"0.0.0.0/0\"]\n    from_port = 0\n    to_port = 65535\n  }\n}\n"},
			check: CheckOpenIngress,
			want:  "other than 80/443",
		},
		{
			name:  "bucket without hardening",
			tree:  map[string]string{"m/main.tf": "resource \"aws_s3_bucket\" \"x\" {}\nresource \"aws_s3_bucket_versioning\" \"x\" {\n  bucket = aws_s3_bucket.x.id\n  versioning_configuration {\n    status = \"Suspended\"\n  }\n}\n"},
			check: CheckBuckets,
			want:  "versioning not Enabled",
		},
		{
			name:  "bucket without public access block",
			tree:  map[string]string{"m/main.tf": "resource \"aws_s3_bucket\" \"x\" {}\n"},
			check: CheckBuckets,
			want:  "no aws_s3_bucket_public_access_block",
		},
		{
			name: "wildcard GitHub subject",
			tree: map[string]string{"m/main.tf": `data "aws_iam_policy_document" "x" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:*"]
    }
  }
}`},
			check: CheckGitHubTrust,
			want:  "not limited to this repository",
		},
		{
			name: "GitHub trust without audience",
			tree: map[string]string{"m/main.tf": `data "aws_iam_policy_document" "x" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:ref:refs/heads/main"]
    }
  }
}`},
			check: CheckGitHubTrust,
			want:  "audience not pinned",
		},
		{
			name:  "repository variable admitting wildcards",
			tree:  map[string]string{"m/variables.tf": "variable \"github_repository\" {\n  type = string\n  validation {\n    condition = length(var.github_repository) > 0\n    error_message = \"x\"\n  }\n}\n"},
			check: CheckGitHubTrust,
			want:  "cannot match *",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, tc.check(parseTree(t, tc.tree)), tc.want)
		})
	}
}

func TestCleanJoin(t *testing.T) {
	for _, c := range []struct{ dir, rel, want string }{
		{"envs/dev", "../../modules/eks", "modules/eks"},
		{"modules/workload-identities", "../pod-identity", "modules/pod-identity"},
		{"envs/dev", "./sub", "envs/dev/sub"},
	} {
		if got := cleanJoin(c.dir, c.rel); got != c.want {
			t.Errorf("cleanJoin(%q, %q) = %q, want %q", c.dir, c.rel, got, c.want)
		}
	}
}
