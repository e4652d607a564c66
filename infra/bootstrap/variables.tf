variable "region" {
  description = "AWS region of the state bucket (use the region of the environments)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name like eu-west-1."
  }
}

variable "project" {
  description = "Project name; the bucket is <project>-tfstate-<account id>-<region>."
  type        = string
  default     = "orderstack"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens."
  }
}

variable "noncurrent_version_expiry_days" {
  description = "Old state versions are kept this many days (to roll back a bad apply), then deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiry_days >= 7
    error_message = "noncurrent_version_expiry_days must be at least 7."
  }
}
