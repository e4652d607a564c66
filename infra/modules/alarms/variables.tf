variable "name" {
  description = "Name prefix of the topic, alarms and budget, e.g. orderstack-dev."
  type        = string
}

variable "environment" {
  description = "Environment name (dev or prod); used by the budget's optional tag filter."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "cluster_name" {
  description = "EKS cluster whose load balancer controller created the ALB (tag elbv2.k8s.aws/cluster)."
  type        = string
}

variable "alb_ingress_group" {
  description = "IngressGroup name of the app's Ingress (alb.ingress.kubernetes.io/group.name); the controller tags the ALB with ingress.k8s.aws/stack=<group>."
  type        = string
  default     = "orders"
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (confirm the subscription mail once); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address or null."
  }
}

variable "alb_5xx_ratio_threshold" {
  description = "Alarm when (ELB 5xx + target 5xx) / requests exceeds this fraction for 5 minutes."
  type        = number
  default     = 0.05

  validation {
    condition     = var.alb_5xx_ratio_threshold > 0 && var.alb_5xx_ratio_threshold < 1
    error_message = "alb_5xx_ratio_threshold must be a fraction between 0 and 1."
  }
}

variable "alb_p99_seconds_threshold" {
  description = "Alarm when the ALB's p99 TargetResponseTime exceeds this many seconds for 5 minutes."
  type        = number
  default     = 1

  validation {
    condition     = var.alb_p99_seconds_threshold > 0
    error_message = "alb_p99_seconds_threshold must be positive."
  }
}

variable "node_group_zones" {
  description = "Availability zones that have a node group (keys of node_autoscaling_group_names)."
  type        = list(string)
}

variable "node_autoscaling_group_names" {
  description = "Auto Scaling group behind each zone's node group."
  type        = map(string)
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD; alerts at 80% and 100% of actual spend and 100% of forecast."
  type        = number

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

variable "budget_filter_by_environment_tag" {
  description = "Limit the budget to costs tagged Environment=<environment> (every resource carries it through the providers' default_tags), so dev and prod in one account each count their own. Needs the Environment cost allocation tag activated once per account (docs/deployment-plan.md); false counts the whole account."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
