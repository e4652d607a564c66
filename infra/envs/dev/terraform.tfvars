# dev: what a person supplies for this environment (its sizing is in main.tf). Nothing here is secret.
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
