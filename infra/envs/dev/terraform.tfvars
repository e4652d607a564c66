# dev: one NAT gateway, no flow logs, small nodes, data deletable on destroy. Nothing here is secret.
environment        = "dev"
region             = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.10.0.0/16"
single_nat_gateway = true
flow_logs_enabled  = false
log_retention_days = 14

kubernetes_version = "1.33"
# GitHub-hosted runners have no fixed IPs; narrow this to your office/VPN and a self-hosted runner where you can.
public_access_cidrs = ["0.0.0.0/0"]

node_instance_types  = ["t3.large"]
node_capacity_type   = "ON_DEMAND"
node_min_size_per_az = 1
node_max_size_per_az = 2

addon_versions = {
  vpc_cni            = "v1.19.5-eksbuild.1"
  coredns            = "v1.12.1-eksbuild.2"
  kube_proxy         = "v1.33.0-eksbuild.2"
  ebs_csi_driver     = "v1.44.0-eksbuild.1"
  pod_identity_agent = "v1.3.7-eksbuild.2"
  metrics_server     = "v0.7.2-eksbuild.3"
}

chart_versions = {
  aws_load_balancer_controller = "1.13.0"
  kube_prometheus_stack        = "75.15.0"
  cluster_autoscaler           = "9.46.6"
  psmdb_operator               = "1.21.1"
}
cluster_autoscaler_image_tag = "v1.33.0"

github_repository = "orderstack/orderstack"

monthly_budget_usd      = 400
prometheus_retention    = "7d"
allow_destroy_with_data = true

# One small member per zone is still three members: the replica set keeps its majority.
mongodb_values = {
  storageSize = "10Gi"
}
