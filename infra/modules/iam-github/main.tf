data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

# The account's GitHub OIDC provider is created once, in infra/bootstrap; every environment looks it up.
data "aws_iam_openid_connect_provider" "github" {
  url = "https://${local.oidc_host}"
}

# Pull requests and the branch's plan job (no environment): the read-only plan role only.
data "aws_iam_policy_document" "plan_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [data.aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = [local.pull_request_subject, local.branch_subject]
    }
  }
}

# Jobs of the protected GitHub environment: apply, deploy, push.
data "aws_iam_policy_document" "environment_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [data.aws_iam_openid_connect_provider.github.arn]
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

# Plan: read the state and take the lock (use_lockfile writes and deletes <key>.tflock).
data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_bucket_arn}/${var.terraform_state.key}"]
  }

  statement {
    sid       = "StateLockFile"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["${local.state_bucket_arn}/${var.terraform_state.key}.tflock"]
  }

  # The saved plan is encrypted before it becomes an artifact: the plan role makes data keys...
  statement {
    sid       = "EncryptPlans"
    actions   = ["kms:GenerateDataKey"]
    resources = [aws_kms_key.plans.arn]
  }

  # ...and can never decrypt one, whatever managed policy it carries: only the apply role can.
  statement {
    sid       = "NeverDecryptPlans"
    effect    = "Deny"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.plans.arn]
  }
}

# Push: ECR login plus push and pull on this environment's repository.
data "aws_iam_policy_document" "push" {
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PushToThisRepository"
    actions   = concat(local.ecr_read, local.ecr_write)
    resources = [var.ecr_repository_arn]
  }
}

# Deploy: what scripts/deploy-app.sh and scripts/lib.sh call (a test checks every call against this).
data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "KubeconfigForThisCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [local.cluster_arn]
  }

  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  # Resolve a tag to its digest and, once the release passed, tag it tested-<sha> (put-image of
  # the same manifest: the record promotion reads). Promoting also uploads the copied image.
  statement {
    sid       = "ThisRepository"
    actions   = concat(local.ecr_read, local.builds_images ? ["ecr:PutImage"] : local.ecr_write)
    resources = [var.ecr_repository_arn]
  }

  dynamic "statement" {
    for_each = local.builds_images ? [] : [var.promote_from_repository_arn]

    content {
      sid       = "PromoteFromRepository"
      actions   = local.ecr_read
      resources = [statement.value]
    }
  }
}

# Encrypts the saved plans CI hands from the plan job to the apply job (a plan holds every value in
# clear, secrets included). The default key policy leaves access to IAM: the plan role may only
# generate data keys, the apply role (an administrator) may decrypt.
resource "aws_kms_key" "plans" {
  description             = "${var.name}: Terraform plans of CI (artifacts between plan and apply)"
  enable_key_rotation     = true
  deletion_window_in_days = 7

  tags = var.tags
}

# The name terraform-ci.sh uses: alias/<name>-ci-plans.
resource "aws_kms_alias" "plans" {
  name          = "alias/${var.name}-ci-plans"
  target_key_id = aws_kms_key.plans.key_id
}

# Plan role: read-only (ReadOnlyAccess), the state and its lock; PR jobs and the branch's plan job.
resource "aws_iam_role" "plan" {
  name_prefix          = "${var.name}-gh-plan-"
  assume_role_policy   = data.aws_iam_policy_document.plan_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# State read and lock-file write for the plan role.
resource "aws_iam_role_policy" "plan" {
  name   = "terraform-state"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan.json
}

# Read-only managed policies of the plan role.
resource "aws_iam_role_policy_attachment" "plan" {
  for_each = toset(var.plan_policy_arns)

  role       = aws_iam_role.plan.name
  policy_arn = each.value
}

# Apply role: the apply job of the protected GitHub environment, applying a reviewed plan.
resource "aws_iam_role" "apply" {
  name_prefix          = "${var.name}-gh-apply-"
  assume_role_policy   = data.aws_iam_policy_document.environment_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# Permissions of the apply role.
resource "aws_iam_role_policy_attachment" "apply" {
  for_each = toset(var.apply_policy_arns)

  role       = aws_iam_role.apply.name
  policy_arn = each.value
}

# Role the deploy job of the GitHub environment assumes; Kubernetes rights come from its access entry (namespace-scoped).
resource "aws_iam_role" "deploy" {
  name_prefix          = "${var.name}-gh-deploy-"
  assume_role_policy   = data.aws_iam_policy_document.environment_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# eks:DescribeCluster on this cluster, ECR on this repository (and read on the promotion source).
resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

# Role the image build of the environment that builds images assumes to push to its repository.
resource "aws_iam_role" "push" {
  count = local.builds_images ? 1 : 0

  name_prefix          = "${var.name}-gh-push-"
  assume_role_policy   = data.aws_iam_policy_document.environment_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# ECR login plus push and pull on this one repository.
resource "aws_iam_role_policy" "push" {
  count = local.builds_images ? 1 : 0

  name   = "ecr-push"
  role   = aws_iam_role.push[0].id
  policy = data.aws_iam_policy_document.push.json
}

# The provider moved to infra/bootstrap: an environment that created it before forgets it without
# deleting it (import it into bootstrap, docs/cicd.md).
removed {
  from = aws_iam_openid_connect_provider.github

  lifecycle {
    destroy = false
  }
}
