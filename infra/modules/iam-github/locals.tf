locals {
  oidc_host = "token.actions.githubusercontent.com"

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn

  # Exact subjects (StringEquals, no wildcard): the branch for image builds, the environment for deploys and Terraform.
  branch_subject      = "repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"
  environment_subject = "repo:${var.github_repository}:environment:${var.github_environment}"

  cluster_arn = "arn:${data.aws_partition.current.partition}:eks:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:cluster/${var.cluster_name}"
}
