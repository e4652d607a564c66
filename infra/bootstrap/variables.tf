variable "region" {
  description = "AWS region of the state bucket (use the region of the environments)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name like eu-west-1."
  }
}

variable "state_bucket_name" {
  description = "Globally unique name of the state bucket; infra/envs/*/backend.tf name the same bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
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

variable "manage_github_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider here. false only if the account already has one managed elsewhere (the environments look it up by URL either way)."
  type        = bool
  default     = true
}
