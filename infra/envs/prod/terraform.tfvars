# prod: a NAT gateway per zone, flow logs, bigger nodes, data survives terraform destroy. Nothing here is secret.
environment        = "prod"
region             = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.20.0.0/16"
single_nat_gateway = false
flow_logs_enabled  = true
log_retention_days = 90

kubernetes_version = "1.33"
# GitHub-hosted runners have no fixed IPs; narrow this to your office/VPN and a self-hosted runner where you can.
public_access_cidrs = ["0.0.0.0/0"]

node_instance_types  = ["m6i.large"]
node_capacity_type   = "ON_DEMAND"
node_min_size_per_az = 1
node_max_size_per_az = 4

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
# dev and prod in one account: the OIDC provider exists once; set false in the environment applied second.
create_github_oidc_provider = true

monthly_budget_usd      = 1500
prometheus_retention    = "30d"
allow_destroy_with_data = false

mongodb_values = {
  storageSize = "50Gi"
}
