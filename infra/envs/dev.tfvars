# dev: everything that makes this environment dev. Nothing here is secret.
# terraform -chdir=infra/envs plan -var-file=dev.tfvars (after init -backend-config=dev.s3.tfbackend)
environment = "dev"

# This environment's state, as in dev.s3.tfbackend (a test keeps them equal).
terraform_state = {
  bucket = "orderstack-tfstate-eu-west-1"
  key    = "orderstack/dev/terraform.tfstate"
}

# dev builds the images (CI push role).
promote_from_environment = null

region             = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.10.0.0/16"

github_repository = "orderstack/orderstack"

# GitHub-hosted runners have no fixed IPs; narrow this to your office/VPN and a self-hosted runner where you can.
public_access_cidrs = ["0.0.0.0/0"]

# Your IAM role ARN for the first apply from a laptop, e.g. ["arn:aws:iam::111122223333:role/admin"].
admin_principal_arns = []
alarm_email          = null

monthly_budget_usd = 600

# HTTPS: the API's name and its Route 53 hosted zone (a DNS-validated ACM certificate is made and
# deploys use it, HTTP redirects to HTTPS); null: HTTP on the ALB's own name.
domain_name    = null
hosted_zone_id = null

# dev: one NAT gateway, no flow logs, small nodes, short retention, data deletable on destroy.
single_nat_gateway      = true
flow_logs_enabled       = false
log_retention_days      = 14
endpoint_public_access  = true
node_instance_types     = ["t3.large"]
node_capacity_type      = "ON_DEMAND"
node_min_size_per_az    = 1
node_max_size_per_az    = 2
prometheus_retention    = "7d"
allow_destroy_with_data = true

# One small member per zone is still three members: the replica set keeps its majority.
mongodb_values = {
  storageSize = "10Gi"
}
