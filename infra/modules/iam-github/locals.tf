locals {
  oidc_host = "token.actions.githubusercontent.com"

  # Exact subjects (StringEquals, no wildcard), in GitHub's default format
  # (docs.github.com, "OpenID Connect reference", example subject claims):
  # a job with an `environment:` gets environment:<name> whatever its event; a pull_request job
  # without one gets pull_request; a push job without one gets ref:refs/heads/<branch>.
  pull_request_subject = "repo:${var.github_repository}:pull_request"
  branch_subject       = "repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"
  environment_subject  = "repo:${var.github_repository}:environment:${var.github_environment}"

  # Who may assume which role: the plan role (read-only) pull_request_subject and branch_subject,
  # so pull requests and the branch's plan job use it without an environment; every role that can
  # change anything only environment_subject, whose protection rules (reviewers, deployment
  # branches) gate the job before it gets a token.

  # The environment that builds images has a push role; one that promotes images has none.
  builds_images = var.promote_from_repository_arn == null

  cluster_arn = "arn:${data.aws_partition.current.partition}:eks:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:cluster/${var.cluster_name}"

  state_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.terraform_state.bucket}"

  # Registry actions, by what they do to a repository.
  ecr_read  = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]
  ecr_write = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]
}
