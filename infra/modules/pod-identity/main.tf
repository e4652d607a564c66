data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

# Role assumed by the pods of one service account through EKS Pod Identity.
resource "aws_iam_role" "this" {
  name_prefix        = "${var.name}-"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

# The workload's own permissions.
resource "aws_iam_role_policy" "this" {
  name   = "workload"
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

# AWS-managed permissions of the workload.
resource "aws_iam_role_policy_attachment" "this" {
  for_each = var.managed_policy_arns

  role       = aws_iam_role.this.name
  policy_arn = each.value
}

# Binds the role to the service account; the Pod Identity agent hands its credentials to the pods.
resource "aws_eks_pod_identity_association" "this" {
  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.this.arn

  tags = var.tags
}

# Binds the same role to each further service account.
resource "aws_eks_pod_identity_association" "additional" {
  for_each = { for sa in var.additional_service_accounts : "${sa.namespace}/${sa.service_account}" => sa }

  cluster_name    = var.cluster_name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.this.arn

  tags = var.tags
}
