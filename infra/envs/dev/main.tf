# The dev environment: modules/stack with dev's choices. The literal arguments below are those
# choices (sizing, retention, data safety), reviewed in one place; the var.* arguments are what a
# person supplies in terraform.tfvars. Pinned versions come from the stack's defaults; to stage an
# upgrade, set kubernetes_version, addon_versions, chart_versions and cluster_autoscaler_image_tag
# here in dev first (docs/infra.md).
module "stack" {
  source = "../../modules/stack"

  environment = "dev"

  # The state of this root (backend.tf): the CI plan role may read it and take its lock.
  terraform_state = {
    bucket = "orderstack-tfstate-eu-west-1"
    key    = "orderstack/dev/terraform.tfstate"
  }

  # dev builds the images (CI push role); prod promotes the ones that passed here.
  promote_from_environment = null

  # Supplied per environment (terraform.tfvars).
  region                 = var.region
  availability_zones     = var.availability_zones
  vpc_cidr               = var.vpc_cidr
  github_repository      = var.github_repository
  admin_principal_arns   = var.admin_principal_arns
  developer_trusted_arns = var.developer_trusted_arns
  public_access_cidrs    = var.public_access_cidrs
  alarm_email            = var.alarm_email
  monthly_budget_usd     = var.monthly_budget_usd
  domain_name            = var.domain_name
  hosted_zone_id         = var.hosted_zone_id

  # dev: one NAT gateway, no flow logs, small nodes, short retention, data deletable on destroy.
  single_nat_gateway     = true
  flow_logs_enabled      = false
  log_retention_days     = 14
  endpoint_public_access = true
  node_instance_types    = ["t3.large"]
  node_capacity_type     = "ON_DEMAND"
  node_min_size_per_az   = 1
  node_max_size_per_az   = 2
  prometheus_retention   = "7d"

  allow_destroy_with_data = true

  # One small member per zone is still three members: the replica set keeps its majority.
  mongodb_values = {
    storageSize = "10Gi"
  }
}
