# One root for every environment: modules/stack with the environment's choices. What differs
# between dev and prod is data: <env>.tfvars (sizing, retention, data safety, what a person
# supplies) and <env>.s3.tfbackend (where the state lives). Pinned versions come from the stack's
# defaults; to stage an upgrade, set kubernetes_version, addon_versions, chart_versions and
# cluster_autoscaler_image_tag in dev.tfvars first (docs/infra.md).
module "stack" {
  source = "../modules/stack"

  environment = var.environment

  # The state of this environment (its <env>.s3.tfbackend): the CI plan role may read it and take
  # its lock. A test keeps the two equal.
  terraform_state = var.terraform_state

  # dev builds the images (CI push role); prod promotes the ones that passed dev.
  promote_from_environment = var.promote_from_environment

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

  single_nat_gateway     = var.single_nat_gateway
  flow_logs_enabled      = var.flow_logs_enabled
  log_retention_days     = var.log_retention_days
  endpoint_public_access = var.endpoint_public_access
  node_instance_types    = var.node_instance_types
  node_capacity_type     = var.node_capacity_type
  node_min_size_per_az   = var.node_min_size_per_az
  node_max_size_per_az   = var.node_max_size_per_az
  prometheus_retention   = var.prometheus_retention

  allow_destroy_with_data = var.allow_destroy_with_data

  mongodb_values = var.mongodb_values

  # null keeps the stack's pinned default (those variables are nullable = false).
  kubernetes_version           = var.kubernetes_version
  addon_versions               = var.addon_versions
  chart_versions               = var.chart_versions
  cluster_autoscaler_image_tag = var.cluster_autoscaler_image_tag
}
