variable "name" {
  description = "Name prefix of the environment (orderstack-<env>), used for the IAM role."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster whose container logs are shipped; names the log group /aws/eks/<cluster>/containers."
  type        = string
}

variable "region" {
  description = "AWS region of the log group (Fluent Bit's CloudWatch output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "retention_days" {
  description = "Days CloudWatch Logs keeps container logs (a value CloudWatch accepts)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.retention_days)
    error_message = "retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "chart_version" {
  description = "Pinned version of the aws-for-fluent-bit Helm chart (aws/eks-charts)."
  type        = string
  default     = "0.2.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.chart_version))
    error_message = "chart_version must be an exact version (x.y.z): charts are pinned."
  }
}

variable "namespace" {
  description = "Namespace of the Fluent Bit DaemonSet and its service account."
  type        = string
  default     = "kube-system"
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
