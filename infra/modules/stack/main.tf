# The whole composition of one orderstack environment: network, EKS, registry, CI roles,
# workload identities, cluster add-ons and alarms. infra/envs/main.tf calls it once, with the
# environment's choices from infra/envs/<env>.tfvars; providers stay in the roots (a module with
# provider blocks could not be removed or given count/for_each), so the caller passes aws, helm
# and kubernetes implicitly.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

module "network" {
  source = "../network"

  name                     = local.name
  cluster_name             = local.name
  vpc_cidr                 = var.vpc_cidr
  availability_zones       = var.availability_zones
  single_nat_gateway       = var.single_nat_gateway
  flow_logs_enabled        = var.flow_logs_enabled
  flow_logs_retention_days = var.log_retention_days
}

module "ecr" {
  source = "../ecr"

  repository_name = "${local.name}/orders"
  force_delete    = var.allow_destroy_with_data
}

module "iam_github" {
  source = "../iam-github"

  name                        = local.name
  github_repository           = var.github_repository
  github_environment          = var.environment
  ecr_repository_arn          = module.ecr.repository_arn
  promote_from_repository_arn = local.promote_from_repository_arn
  cluster_name                = local.name
  terraform_state             = var.terraform_state
}

module "eks" {
  source = "../eks"

  cluster_name             = local.name
  kubernetes_version       = var.kubernetes_version
  private_subnet_ids_by_az = module.network.private_subnet_ids_by_az
  endpoint_public_access   = var.endpoint_public_access
  public_access_cidrs      = var.public_access_cidrs
  log_retention_days       = var.log_retention_days
  node_instance_types      = var.node_instance_types
  node_capacity_type       = var.node_capacity_type
  node_min_size_per_az     = var.node_min_size_per_az
  node_max_size_per_az     = var.node_max_size_per_az
  admin_principal_arns     = var.admin_principal_arns
  terraform_role_arn       = module.iam_github.apply_role_arn
  plan_role_arn            = module.iam_github.plan_role_arn
  deploy_role_arn          = module.iam_github.deploy_role_arn
  app_namespace            = local.app_namespace
  mongodb_namespace        = local.mongodb_namespace
  developer_trusted_arns   = var.developer_trusted_arns
  addon_versions           = var.addon_versions
  support_type             = var.kubernetes_support_type
  propagated_tags          = local.tags
}

module "backup_bucket" {
  source = "../backup-bucket"

  bucket_name   = "${local.name}-mongodb-backups-${data.aws_caller_identity.current.account_id}"
  force_destroy = var.allow_destroy_with_data
}

module "workload_identities" {
  source = "../workload-identities"

  name                      = local.name
  cluster_name              = module.eks.cluster_name
  mongodb_namespace         = local.mongodb_namespace
  backup_writer_policy_json = module.backup_bucket.writer_policy_json
  alarm_topic_arn           = module.alarms.topic_arn
}

module "addons" {
  source = "../addons"

  cluster_name                 = module.eks.cluster_name
  region                       = var.region
  vpc_id                       = module.network.vpc_id
  app_namespace                = local.app_namespace
  mongodb_namespace            = local.mongodb_namespace
  deployer_group               = module.eks.deployer_group
  developer_group              = module.eks.developer_group
  chart_versions               = var.chart_versions
  cluster_autoscaler_image_tag = var.cluster_autoscaler_image_tag
  prometheus_retention         = var.prometheus_retention
  mongodb_chart_path           = "${path.module}/../../../deploy/mongodb/cluster"
  mongodb_operator_values_path = "${path.module}/../../../deploy/mongodb/operator-values.yaml"
  mongodb_backup_bucket        = module.backup_bucket.bucket_name
  mongodb_values               = var.mongodb_values
  alerting                     = merge(var.alert_receivers, { sns_topic_arn = module.alarms.topic_arn })
  propagated_tags              = local.tags

  # kube-state-metrics series of the Percona backup objects, for the MongoDB backup alerts.
  kube_state_metrics_values_path = "${path.module}/../../../deploy/mongodb/kube-state-metrics-values.yaml"

  # Nodes, core add-ons, access entries and pod identities first.
  depends_on = [module.eks, module.workload_identities]
}

# HTTPS: a DNS-validated ACM certificate for domain_name, when one is given.
module "certificate" {
  source = "../certificate"
  count  = var.domain_name == null ? 0 : 1

  domain_name    = var.domain_name
  hosted_zone_id = var.hosted_zone_id
}

# Container logs to CloudWatch Logs (Fluent Bit, Pod Identity), kept log_retention_days like the
# control-plane logs.
module "logging" {
  source = "../logging"

  name           = local.name
  cluster_name   = module.eks.cluster_name
  region         = var.region
  retention_days = var.log_retention_days

  # Nodes and the Pod Identity agent first.
  depends_on = [module.eks]
}

# ALB access-log bucket and the WAF web ACL of the orders ALB; the chart points the ALB at both
# (scripts/deploy-app.sh passes the outputs; docs/operations.md "Edge").
module "edge" {
  source = "../edge"

  name                       = local.name
  access_logs_bucket_name    = "${local.name}-alb-logs-${data.aws_caller_identity.current.account_id}"
  access_logs_retention_days = var.alb_access_log_retention_days
  force_destroy              = var.allow_destroy_with_data
  rate_limit_per_5_minutes   = var.waf_rate_limit_per_5_minutes
}

module "alarms" {
  source = "../alarms"

  name        = local.name
  environment = var.environment
  # The name, not module.eks.cluster_name: the ALB lookup must be readable at plan time.
  cluster_name                 = local.name
  alarm_email                  = var.alarm_email
  node_group_zones             = var.availability_zones
  node_autoscaling_group_names = module.eks.node_autoscaling_group_names
  monthly_budget_usd           = var.monthly_budget_usd
}
