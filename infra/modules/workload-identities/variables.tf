variable "name" {
  description = "Name prefix of the roles, e.g. orderstack-dev."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster the pod identity associations belong to."
  type        = string
}

variable "mongodb_namespace" {
  description = "Namespace of the MongoDB replica set."
  type        = string
  default     = "mongodb"
}

variable "mongodb_service_account" {
  description = "Service account of the MongoDB member pods (their backup-agent sidecar writes to S3)."
  type        = string
  default     = "orders-mongodb"
}

variable "mongodb_operator_service_account" {
  description = "Service account of the Percona operator (the psmdb-operator chart names it after its fullname: release psmdb-operator gives psmdb-operator). It validates restores and deletes old backups in S3 itself."
  type        = string
  default     = "psmdb-operator"
}

variable "backup_writer_policy_json" {
  description = "IAM policy limited to the backup bucket (output of the backup-bucket module)."
  type        = string
}

variable "monitoring_namespace" {
  description = "Namespace of kube-prometheus-stack."
  type        = string
  default     = "monitoring"
}

variable "alertmanager_service_account" {
  description = "Service account of Alertmanager (the addons module sets alertmanager.serviceAccount.name to this)."
  type        = string
  default     = "alertmanager"
}

variable "alarm_topic_arn" {
  description = "SNS topic Alertmanager publishes to (output of the alarms module)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
