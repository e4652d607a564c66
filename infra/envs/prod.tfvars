# prod: everything that makes this environment prod. Nothing here is secret.
# terraform -chdir=infra/envs plan -var-file=prod.tfvars (after init -backend-config=prod.s3.tfbackend)
environment = "prod"

# This environment's state, as in prod.s3.tfbackend (a test keeps them equal).
terraform_state = {
  bucket = "orderstack-tfstate-eu-west-1"
  key    = "orderstack/prod/terraform.tfstate"
}

# prod builds no image: it deploys the digest that passed dev, copied from dev's repository.
promote_from_environment = "dev"

region             = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.20.0.0/16"

github_repository = "orderstack/orderstack"

# GitHub-hosted runners have no fixed IPs; narrow this to your office/VPN and a self-hosted runner where you can.
public_access_cidrs = ["0.0.0.0/0"]

# Your IAM role ARN for the first apply from a laptop, e.g. ["arn:aws:iam::111122223333:role/admin"].
admin_principal_arns = []
alarm_email          = null

monthly_budget_usd = 1500

# HTTPS: the API's name and its Route 53 hosted zone (a DNS-validated ACM certificate is made and
# deploys use it, HTTP redirects to HTTPS); null: HTTP on the ALB's own name.
domain_name    = null
hosted_zone_id = null

# prod: a NAT gateway per zone, flow logs, bigger nodes, long retention, data survives destroy.
single_nat_gateway      = false
flow_logs_enabled       = true
log_retention_days      = 90
endpoint_public_access  = true
node_instance_types     = ["m6i.large"]
node_capacity_type      = "ON_DEMAND"
node_min_size_per_az    = 1
node_max_size_per_az    = 4
prometheus_retention    = "30d"
allow_destroy_with_data = false

mongodb_values = {
  storageSize = "50Gi"
}
