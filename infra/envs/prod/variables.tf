# Only what a person supplies per environment (terraform.tfvars); the sizing choices are arguments
# in main.tf. Each value goes unchanged to the variable of the same name in modules/stack, whose
# validation blocks check it (a test keeps it that way).

variable "region" {
  description = "AWS region of the environment, e.g. eu-west-1 (also the aws provider's region)."
  type        = string
}

variable "availability_zones" {
  description = "Three availability zones of the region."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; must not overlap networks you peer with (the chart's networkPolicy.albSourceCidrs repeats it)."
  type        = string
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the CI roles."
  type        = string
}

variable "admin_principal_arns" {
  description = "IAM role or user ARNs with cluster-admin (the person running the first apply must be one)."
  type        = list(string)
  default     = []
}

variable "developer_trusted_arns" {
  description = "Principals that may assume the developers (MongoDB port-forward) role; empty trusts the account."
  type        = list(string)
  default     = []
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint (IAM authentication still applies)."
  type        = list(string)
}

variable "alarm_email" {
  description = "E-mail address for alarms and budget alerts; null for none."
  type        = string
  default     = null
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD."
  type        = number
}

variable "domain_name" {
  description = "Name the API is served at over HTTPS (e.g. orders.example.com); null: HTTP on the ALB's own name."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of domain_name (the certificate's DNS validation records go there); null without domain_name."
  type        = string
  default     = null
}
