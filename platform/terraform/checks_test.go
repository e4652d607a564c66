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
			name:  "unformatted file",
			tree:  map[string]string{"m/main.tf": "locals {\n  a=1\n}\n"},
			check: CheckFormatted,
			want:  "not canonically formatted",
		},
		{
			name:  "resource without comment",
			tree:  map[string]string{"m/main.tf": "resource \"aws_vpc\" \"this\" {}\n"},
			check: CheckResourceComments,
			want:  "no # comment",
		},
		{
			name:  "variable without description",
			tree:  map[string]string{"m/variables.tf": "variable \"x\" {\n  type = string\n}\n"},
			check: CheckVariables,
			want:  "no description",
		},
		{
			name:  "variable without type",
			tree:  map[string]string{"m/variables.tf": "variable \"x\" {\n  description = \"x\"\n}\n"},
			check: CheckVariables,
			want:  "no type",
		},
		{
			name:  "cidr variable without validation",
			tree:  map[string]string{"m/variables.tf": "variable \"vpc_cidr\" {\n  description = \"x\"\n  type = string\n}\n"},
			check: CheckVariables,
			want:  "no validation",
		},
		{
			name: "root variable passed to an unvalidated module variable",
			tree: map[string]string{
				"r/variables.tf": "variable \"vpc_cidr\" {\n  description = \"x\"\n  type = string\n}\n",
				"r/main.tf":      "module \"m\" {\n  source = \"../m\"\n  vpc_cidr = var.vpc_cidr\n}\n",
				"m/variables.tf": "variable \"vpc_cidr\" {\n  description = \"x\"\n  type = string\n}\n",
			},
			check: CheckVariables,
			want:  "r/variables.tf:1 variable \"vpc_cidr\": has a domain but no validation",
		},
		{
			name: "root variable transformed before a validated module variable",
			tree: map[string]string{
				"r/variables.tf": "variable \"vpc_cidr\" {\n  description = \"x\"\n  type = string\n}\n",
				"r/main.tf":      "module \"m\" {\n  source = \"../m\"\n  vpc_cidr = lower(var.vpc_cidr)\n}\n",
				"m/variables.tf": "variable \"vpc_cidr\" {\n  description = \"x\"\n  type = string\n  validation {\n    condition = can(cidrhost(var.vpc_cidr, 0))\n    error_message = \"x\"\n  }\n}\n",
			},
			check: CheckVariables,
			want:  "r/variables.tf:1 variable \"vpc_cidr\": has a domain but no validation",
		},
		{
			name:  "password output",
			tree:  map[string]string{"m/outputs.tf": "output \"grafana_password\" {\n  description = \"x\"\n  value = \"a\"\n}\n"},
			check: CheckOutputs,
			want:  "looks like a secret",
		},
		{
			name:  "output of a generated secret",
			tree:  map[string]string{"m/outputs.tf": "output \"x_command\" {\n  description = \"x\"\n  value = random_password.this.result\n}\n"},
			check: CheckOutputs,
			want:  "references random_password",
		},
		{
			name:  "sensitive output",
			tree:  map[string]string{"m/outputs.tf": "output \"x\" {\n  description = \"x\"\n  value = 1\n  sensitive = true\n}\n"},
			check: CheckOutputs,
			want:  "sensitive outputs are not allowed",
		},
		{
			name: "root provider not pinned",
			tree: map[string]string{"r/terraform.tf": `terraform {
  required_version = "~> 1.11.0"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}`},
			check: func(f []File) []string { return CheckVersions(f, []string{"r"}) },
			want:  `provider "aws" version ">= 6.0"`,
		},
		{
			name: "root terraform not pinned",
			tree: map[string]string{"r/terraform.tf": `terraform {
  required_version = ">= 1.10"
}`},
			check: func(f []File) []string { return CheckVersions(f, []string{"r"}) },
			want:  "required_version",
		},
		{
			name: "module uses an undeclared provider",
			tree: map[string]string{
				"m/terraform.tf": "terraform {\n  required_version = \">= 1.10\"\n}\n",
				"m/main.tf":      "resource \"helm_release\" \"x\" {}\n",
			},
			check: func(f []File) []string { return CheckVersions(f, nil) },
			want:  `does not declare provider "helm"`,
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
			name:  "backend without lockfile",
			tree:  map[string]string{"envs/x/backend.tf": "terraform {\n  backend \"s3\" {\n    key = \"k\"\n    encrypt = true\n    dynamodb_table = \"locks\"\n  }\n}\n"},
			check: func(f []File) []string { return CheckBackends(f, []string{"envs/x"}) },
			want:  "without use_lockfile",
		},
		{
			name:  "aws provider without default tags",
			tree:  map[string]string{"envs/x/providers.tf": "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n"},
			check: func(f []File) []string { return CheckDefaultTags(f, []string{"envs/x"}) },
			want:  "without default_tags",
		},
		{
			name:  "mutable ECR tags",
			tree:  map[string]string{"m/main.tf": "resource \"aws_ecr_repository\" \"x\" {\n  image_tag_mutability = \"MUTABLE\"\n}\n"},
			check: CheckECR,
			want:  "want IMMUTABLE",
		},
		{
			name:  "ECR without scan on push",
			tree:  map[string]string{"m/main.tf": "resource \"aws_ecr_repository\" \"x\" {\n  image_tag_mutability = \"IMMUTABLE\"\n}\n"},
			check: CheckECR,
			want:  "scan_on_push",
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
		{
			name:  "undeclared variable",
			tree:  map[string]string{"m/main.tf": "locals {\n  a = var.nope\n}\n"},
			check: CheckReferences,
			want:  "var.nope is not declared",
		},
		{
			name:  "undeclared resource",
			tree:  map[string]string{"m/main.tf": "locals {\n  a = aws_vpc.other.id\n}\n"},
			check: CheckReferences,
			want:  "resource aws_vpc.other is not declared",
		},
		{
			name: "missing module output",
			tree: map[string]string{
				"m/outputs.tf": "output \"a\" {\n  value = 1\n}\n",
				"r/main.tf":    "module \"m\" {\n  source = \"../m\"\n}\nlocals {\n  b = module.m.b\n}\n",
			},
			check: CheckReferences,
			want:  `has no output "b"`,
		},
		{
			name: "unknown module argument",
			tree: map[string]string{
				"m/variables.tf": "variable \"a\" {\n  type = string\n}\n",
				"r/main.tf":      "module \"m\" {\n  source = \"../m\"\n  a = \"x\"\n  typo = 1\n}\n",
			},
			check: CheckReferences,
			want:  `declares no variable "typo"`,
		},
		{
			name: "required module variable not set",
			tree: map[string]string{
				"m/variables.tf": "variable \"a\" {\n  type = string\n}\n",
				"r/main.tf":      "module \"m\" {\n  source = \"../m\"\n}\n",
			},
			check: CheckReferences,
			want:  `required variable "a"`,
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
