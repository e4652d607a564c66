variable "name" {
  description = "Name prefix of the environment (orderstack-<env>), used for the web ACL and its metrics."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 lower-case letters, digits and dashes."
  }
}

variable "access_logs_bucket_name" {
  description = "Name of the S3 bucket that receives the ALB access logs (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_logs_bucket_name))
    error_message = "access_logs_bucket_name must be a valid S3 bucket name."
  }
}

variable "access_logs_prefix" {
  description = "Key prefix of the access logs in the bucket; ELB appends AWSLogs/<account>/... (must not contain AWSLogs)."
  type        = string
  default     = "alb"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*$", var.access_logs_prefix)) && !strcontains(var.access_logs_prefix, "AWSLogs")
    error_message = "access_logs_prefix must be lower-case letters, digits and dashes, without AWSLogs."
  }
}

variable "access_logs_retention_days" {
  description = "Days an access log object is kept before S3 expires it."
  type        = number
  default     = 90

  validation {
    condition     = var.access_logs_retention_days >= 1 && floor(var.access_logs_retention_days) == var.access_logs_retention_days
    error_message = "access_logs_retention_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its logs (dev); false keeps them (prod)."
  type        = bool
  default     = false
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one client IP may send in any 5-minute window before the web ACL blocks it (AWS minimum 10)."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit_per_5_minutes >= 10 && var.rate_limit_per_5_minutes <= 2000000000
    error_message = "rate_limit_per_5_minutes must be between 10 and 2000000000 (AWS WAF limits)."
  }
}

variable "tags" {
  description = "Tags of every resource of the module."
  type        = map(string)
  default     = {}
}
