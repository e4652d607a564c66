variable "environment" {
  description = "Environment name; names every resource (orderstack-<environment>) and the GitHub environment the CI roles trust."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "region" {
  description = "AWS region, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name like eu-west-1."
  }
}

variable "availability_zones" {
  description = "Three availability zones of the region."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3 && length(distinct(var.availability_zones)) == 3
    error_message = "availability_zones must list three distinct zones."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (dev) instead of one per zone (prod)."
  type        = bool
}

variable "flow_logs_enabled" {
  description = "Send VPC flow logs to CloudWatch Logs."
  type        = bool
}

variable "log_retention_days" {
  description = "Retention of the control-plane and flow log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "kubernetes_version" {
  description = "Pinned EKS Kubernetes minor version; both environments use the default unless one stages an upgrade (docs/infra.md)."
  type        = string
  nullable    = false # null from infra/envs means "the default"
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.(3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version 1.30 or later, like \"1.33\"."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API publicly (restricted to public_access_cidrs)."
  type        = bool
  default     = true
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint (IAM authentication still applies)."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "public_access_cidrs must hold valid IPv4 CIDRs."
  }
}

variable "admin_principal_arns" {
  description = "IAM role or user ARNs with cluster-admin (the person running the first apply must be one)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "admin_principal_arns must be IAM role or user ARNs."
  }
}

variable "developer_trusted_arns" {
  description = "Principals that may assume the developers (MongoDB port-forward) role; empty trusts the account."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "EC2 instance types of the nodes."
  type        = list(string)
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size_per_az" {
  description = "Minimum nodes per zone."
  type        = number

  validation {
    condition     = var.node_min_size_per_az >= 1
    error_message = "node_min_size_per_az must be at least 1."
  }
}

variable "node_max_size_per_az" {
  description = "Maximum nodes per zone."
  type        = number

  validation {
    condition     = var.node_max_size_per_az >= var.node_min_size_per_az
    error_message = "node_max_size_per_az must be at least node_min_size_per_az."
  }
}

variable "addon_versions" {
  description = "EKS add-on versions to pin (vpc_cni, coredns, kube_proxy, ebs_csi_driver, pod_identity_agent, metrics_server), each optional; unset: the most recent EKS lists for kubernetes_version, resolved at plan (modules/eks)."
  type = object({
    vpc_cni            = optional(string)
    coredns            = optional(string)
    kube_proxy         = optional(string)
    ebs_csi_driver     = optional(string)
    pod_identity_agent = optional(string)
    metrics_server     = optional(string)
  })
  nullable = false # null from infra/envs means "the default"
  default  = {}

  validation {
    condition     = alltrue([for v in values(var.addon_versions) : v == null || can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", v))])
    error_message = "Each pinned add-on version must look like v1.2.3-eksbuild.1."
  }
}

variable "kubernetes_support_type" {
  description = "EKS upgrade policy (modules/eks support_type): EXTENDED keeps the control plane on kubernetes_version until it is raised; STANDARD lets AWS upgrade it when standard support ends."
  type        = string
  default     = "EXTENDED"

  validation {
    condition     = contains(["STANDARD", "EXTENDED"], var.kubernetes_support_type)
    error_message = "kubernetes_support_type must be STANDARD or EXTENDED."
  }
}

variable "chart_versions" {
  description = "Pinned Helm chart versions (aws_load_balancer_controller, kube_prometheus_stack, cluster_autoscaler, psmdb_operator)."
  type = object({
    aws_load_balancer_controller = string
    kube_prometheus_stack        = string
    cluster_autoscaler           = string
    psmdb_operator               = string
  })
  nullable = false # null from infra/envs means "the default"
  default = {
    aws_load_balancer_controller = "1.13.0"
    kube_prometheus_stack        = "75.15.0"
    cluster_autoscaler           = "9.46.6"
    psmdb_operator               = "1.21.2"
  }

  validation {
    condition     = alltrue([for v in values(var.chart_versions) : can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", v))])
    error_message = "Each chart version must be an exact semantic version like 1.13.0."
  }
}

variable "cluster_autoscaler_image_tag" {
  description = "Cluster Autoscaler image tag matching the Kubernetes minor version, e.g. v1.33.0."
  type        = string
  nullable    = false # null from infra/envs means "the default"
  default     = "v1.33.0"

  validation {
    condition     = can(regex("^v1\\.[0-9]+\\.[0-9]+$", var.cluster_autoscaler_image_tag))
    error_message = "cluster_autoscaler_image_tag must look like v1.33.0."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the CI roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be exactly owner/name, no wildcard."
  }
}

variable "promote_from_environment" {
  description = "Environment whose tested images this one deploys (prod: \"dev\"), copied from its ECR repository in the same account; null for the environment that builds images."
  type        = string
  default     = null

  validation {
    condition     = var.promote_from_environment == null || can(regex("^[a-z0-9-]+$", var.promote_from_environment))
    error_message = "promote_from_environment must be an environment name like dev, or null."
  }
}

variable "terraform_state" {
  description = "Bucket and key of this environment's state (as in its backend configuration): the CI plan role reads the key and writes <key>.tflock."
  type = object({
    bucket = string
    key    = string
  })
}

variable "alarm_email" {
  description = "E-mail address for alarms and budget alerts; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address or null."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD."
  type        = number

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples, e.g. 15d."
  type        = string
  default     = "15d"

  validation {
    condition     = can(regex("^[0-9]+(h|d|w)$", var.prometheus_retention))
    error_message = "prometheus_retention must be a duration like 12h, 15d or 2w."
  }
}

variable "mongodb_values" {
  description = "Values of the orders-mongodb chart on top of the ones Terraform sets (bucket, region, service account, StorageClass)."
  type        = any
  default     = {}
}

variable "alert_receivers" {
  description = "Alertmanager receivers besides the alarm topic (which always gets every alert): slack_channel, pagerduty (critical only), email_to/email_from/email_smarthost/email_username. Their secrets go into the Secret monitoring/alertmanager-receivers by hand (docs/operations.md)."
  type = object({
    slack_channel   = optional(string)
    pagerduty       = optional(bool, false)
    email_to        = optional(string)
    email_from      = optional(string)
    email_smarthost = optional(string)
    email_username  = optional(string)
  })
  default = {}
}

variable "domain_name" {
  description = "Name the API is served at over HTTPS (e.g. orders.example.com), in hosted_zone_id; null: HTTP on the ALB's own name only."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of domain_name, where the certificate's DNS validation records go; required with domain_name."
  type        = string
  default     = null

  validation {
    condition     = (var.hosted_zone_id == null) == (var.domain_name == null)
    error_message = "Set domain_name and hosted_zone_id together, or neither."
  }
}

variable "allow_destroy_with_data" {
  description = "Let terraform destroy delete a non-empty ECR repository and backup bucket. true in dev only."
  type        = bool
  default     = false
}
