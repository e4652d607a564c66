variable "name" {
  description = "Name prefix of every resource, e.g. orderstack-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens."
  }
}

variable "cluster_name" {
  description = "EKS cluster name, used in the kubernetes.io/cluster/<name> subnet tag."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; split into one public /20 and one private /18 per AZ for a /16."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR of size /20 or larger."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zones of the region, e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3 && length(distinct(var.availability_zones)) == 3
    error_message = "availability_zones must list three distinct zones."
  }
}

variable "single_nat_gateway" {
  description = "true: one NAT gateway for all AZs (cheaper, dev); false: one NAT gateway per AZ (no cross-AZ dependency, prod)."
  type        = bool
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints from the private subnets."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "sts", "logs"]
}

variable "flow_logs_enabled" {
  description = "Send VPC flow logs (all traffic) to a CloudWatch log group."
  type        = bool
  default     = false
}

variable "flow_logs_retention_days" {
  description = "Retention of the flow log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "flow_logs_kms_key_arn" {
  description = "KMS key ARN that encrypts the flow log group; null uses CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
