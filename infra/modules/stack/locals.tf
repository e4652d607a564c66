locals {
  name = "orderstack-${var.environment}"

  tags = {
    Project     = "orderstack"
    Environment = var.environment
    ManagedBy   = "terraform"
    Repository  = var.github_repository
  }

  # prod deploys the images dev tested, copied from dev's repository (same naming, same account).
  promote_from_repository_arn = var.promote_from_environment == null ? null : "arn:${data.aws_partition.current.partition}:ecr:${var.region}:${data.aws_caller_identity.current.account_id}:repository/orderstack-${var.promote_from_environment}/orders"
  promote_from_repository_url = var.promote_from_environment == null ? null : "${data.aws_caller_identity.current.account_id}.dkr.ecr.${var.region}.amazonaws.com/orderstack-${var.promote_from_environment}/orders"

  app_namespace     = "orders"
  mongodb_namespace = "mongodb"
}
