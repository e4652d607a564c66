# The prod environment: modules/stack with prod's choices. The literal arguments below are those
# choices (sizing, retention, data safety), reviewed in one place; the var.* arguments are what a
# person supplies in terraform.tfvars. Pinned versions come from the stack's defaults; to stage an
# upgrade, set kubernetes_version, addon_versions, chart_versions and cluster_autoscaler_image_tag
# here in dev first (docs/infra.md).
module "stack" {
  source = "../../modules/stack"

  environment = "prod"

  # The state of this root (backend.tf): the CI plan role may read it and take its lock.
  terraform_state = {
    bucket = "orderstack-tfstate-eu-west-1"
    key    = "orderstack/prod/terraform.tfstate"
  }

  # prod builds no image: it deploys the digest that passed dev, copied from dev's repository.
  promote_from_environment = "dev"

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

  # prod: a NAT gateway per zone, flow logs, bigger nodes, long retention, data survives destroy.
  single_nat_gateway     = false
  flow_logs_enabled      = true
  log_retention_days     = 90
  endpoint_public_access = true
  node_instance_types    = ["m6i.large"]
  node_capacity_type     = "ON_DEMAND"
  node_min_size_per_az   = 1
  node_max_size_per_az   = 4
  prometheus_retention   = "30d"

  allow_destroy_with_data = false

  mongodb_values = {
    storageSize = "50Gi"
  }
}
