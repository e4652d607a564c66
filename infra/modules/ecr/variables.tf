variable "repository_name" {
  description = "Name of the ECR repository, e.g. orderstack-dev/orders."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "repository_name must be a valid ECR repository name (lowercase, digits, . _ - /)."
  }
}

variable "untagged_expiry_days" {
  description = "Untagged images (e.g. replaced multi-arch indexes, failed pushes) are deleted after this many days."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "keep_tagged_count" {
  description = "How many tagged images to keep; older ones expire (rollback needs a few)."
  type        = number
  default     = 50

  validation {
    condition     = var.keep_tagged_count >= 5
    error_message = "keep_tagged_count must be at least 5 so rollbacks stay possible."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for image encryption; null uses AES256 (S3-managed keys)."
  type        = string
  default     = null
}

variable "force_delete" {
  description = "Let terraform destroy delete the repository even when it still holds images (dev)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
