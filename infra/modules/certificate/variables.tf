variable "domain_name" {
  description = "Name the API is reached at, e.g. orders.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name like orders.example.com."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone that holds domain_name (the validation records go there)."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]+$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route 53 hosted zone ID like Z0123456789ABCDEFGHIJ."
  }
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
