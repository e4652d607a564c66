data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1

  url = "https://${local.oidc_host}"
}

data "aws_iam_policy_document" "push_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = [local.branch_subject, local.environment_subject]
    }
  }
}

data "aws_iam_policy_document" "environment_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = [local.environment_subject]
    }
  }
}

data "aws_iam_policy_document" "push" {
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushToThisRepository"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:DescribeImageScanFindings",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [var.ecr_repository_arn]
  }
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "KubeconfigForThisCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [local.cluster_arn]
  }
}

# The account's OpenID Connect provider for GitHub Actions tokens (audience sts.amazonaws.com).
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = var.tags
}

# Role the image build on the main branch assumes to push to the ECR repository.
resource "aws_iam_role" "push" {
  name_prefix          = "${var.name}-gh-push-"
  assume_role_policy   = data.aws_iam_policy_document.push_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# ECR login plus push and pull on this one repository.
resource "aws_iam_role_policy" "push" {
  name   = "ecr-push"
  role   = aws_iam_role.push.id
  policy = data.aws_iam_policy_document.push.json
}

# Role the deploy job of the GitHub environment assumes; Kubernetes rights come from its access entry (namespace-scoped).
resource "aws_iam_role" "deploy" {
  name_prefix          = "${var.name}-gh-deploy-"
  assume_role_policy   = data.aws_iam_policy_document.environment_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# eks:DescribeCluster on this cluster only, enough for `aws eks update-kubeconfig`.
resource "aws_iam_role_policy" "deploy" {
  name   = "eks-describe"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

# Role the infrastructure workflow of the GitHub environment assumes to run Terraform.
resource "aws_iam_role" "terraform" {
  name_prefix          = "${var.name}-gh-tf-"
  assume_role_policy   = data.aws_iam_policy_document.environment_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# Permissions of the Terraform role.
resource "aws_iam_role_policy_attachment" "terraform" {
  for_each = toset(var.terraform_policy_arns)

  role       = aws_iam_role.terraform.name
  policy_arn = each.value
}
