variable "name" {
  description = "Name prefix of the IAM role, e.g. orderstack-dev-lb-controller."
  type        = string

  validation {
    condition     = length(var.name) <= 38
    error_message = "name is a role name_prefix and must be at most 38 characters."
  }
}

variable "cluster_name" {
  description = "EKS cluster of the association."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the service account."
  type        = string
}

variable "service_account" {
  description = "Kubernetes service account whose pods receive the role's credentials."
  type        = string
}

variable "additional_service_accounts" {
  description = "Further service accounts (namespace and name) whose pods receive the same role, e.g. an operator that reads what its workload wrote."
  type = list(object({
    namespace       = string
    service_account = string
  }))
  default = []
}

variable "policy_json" {
  description = "Inline IAM policy of the role (JSON). Required (not optional) so that no count depends on a policy only known at apply."
  type        = string
}

variable "managed_policy_arns" {
  description = "Managed policies attached to the role, keyed by a short stable name."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
