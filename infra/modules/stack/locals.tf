locals {
  name = "orderstack-${var.environment}"

  tags = {
    Project     = "orderstack"
    Environment = var.environment
    ManagedBy   = "terraform"
    Repository  = var.github_repository
  }

  app_namespace     = "orders"
  mongodb_namespace = "mongodb"
}
