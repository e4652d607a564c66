variable "bucket_name" {
  description = "Globally unique name of the MongoDB backup bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "noncurrent_version_expiry_days" {
  description = "Overwritten or deleted backup objects are kept this many days as noncurrent versions, then removed."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiry_days >= 1
    error_message = "noncurrent_version_expiry_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS; null uses SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy empty the bucket (dev). Keep false in prod: backups outlive the cluster."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
