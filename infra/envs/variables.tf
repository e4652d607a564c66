# Each environment sets these in <env>.tfvars. Every value goes unchanged to the variable of the
# same name in modules/stack, whose validation blocks check it; the choices have no default here,
# so an environment that forgets one fails at plan ("No value for required variable").

variable "environment" {
  description = "Environment name, dev or prod (names every resource and the GitHub environment the CI roles trust)."
  type        = string
}

variable "terraform_state" {
  description = "Bucket and key of this environment's state (the same as its <env>.s3.tfbackend); the CI plan role may read it."
  type = object({
    bucket = string
    key    = string
  })
}

variable "promote_from_environment" {
  description = "null: this environment builds the images; an environment name: it deploys the digests that passed there."
  type        = string
}

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

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (dev) or one per zone (prod)."
  type        = bool
}

variable "flow_logs_enabled" {
  description = "VPC flow logs to CloudWatch Logs."
  type        = bool
}

variable "log_retention_days" {
  description = "Retention of the cluster and flow log groups, in days."
  type        = number
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API publicly (restricted to public_access_cidrs)."
  type        = bool
}

variable "node_instance_types" {
  description = "EC2 instance types of the node groups."
  type        = list(string)
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
}

variable "node_min_size_per_az" {
  description = "Minimum nodes per zone."
  type        = number
}

variable "node_max_size_per_az" {
  description = "Maximum nodes per zone."
  type        = number
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples, e.g. 15d."
  type        = string
}

variable "allow_destroy_with_data" {
  description = "Let terraform destroy delete a non-empty ECR repository and backup bucket (dev only)."
  type        = bool
}

variable "mongodb_values" {
  description = "Values of the orders-mongodb chart on top of the ones Terraform sets (e.g. storageSize)."
  type        = any
}

variable "kubernetes_version" {
  description = "Stage a Kubernetes upgrade in this environment; null keeps the stack's pinned version."
  type        = string
  default     = null
}

variable "addon_versions" {
  description = "Stage EKS add-on versions in this environment; null keeps the stack's pinned versions."
  type        = any
  default     = null
}

variable "chart_versions" {
  description = "Stage Helm chart versions in this environment; null keeps the stack's pinned versions."
  type        = any
  default     = null
}

variable "cluster_autoscaler_image_tag" {
  description = "Stage a Cluster Autoscaler image tag in this environment; null keeps the stack's pinned tag."
  type        = string
  default     = null
}
