variable "cluster_name" {
  description = "Name of the EKS cluster."
  type        = string
}

variable "region" {
  description = "AWS region of the cluster (given to controllers explicitly: IMDS is out of reach of pods with hop limit 1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name like eu-west-1."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster (given to the load balancer controller explicitly)."
  type        = string
}

variable "app_namespace" {
  description = "Namespace of the order service."
  type        = string
  default     = "orders"
}

variable "mongodb_namespace" {
  description = "Namespace of the Percona operator and the MongoDB replica set."
  type        = string
  default     = "mongodb"
}

variable "monitoring_namespace" {
  description = "Namespace of kube-prometheus-stack."
  type        = string
  default     = "monitoring"
}

variable "deployer_group" {
  description = "Kubernetes group of the CI deploy role (from the eks module)."
  type        = string
}

variable "developer_group" {
  description = "Kubernetes group of the developers role (from the eks module)."
  type        = string
}

variable "chart_versions" {
  description = "Pinned versions of the public Helm charts."
  type = object({
    aws_load_balancer_controller = string
    kube_prometheus_stack        = string
    cluster_autoscaler           = string
    psmdb_operator               = string
  })

  validation {
    condition     = alltrue([for v in values(var.chart_versions) : can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", v))])
    error_message = "Each chart version must be an exact semantic version like 1.13.0."
  }
}

variable "cluster_autoscaler_image_tag" {
  description = "Cluster Autoscaler image tag; its minor version must equal the cluster's Kubernetes minor version."
  type        = string

  validation {
    condition     = can(regex("^v1\\.[0-9]+\\.[0-9]+$", var.cluster_autoscaler_image_tag))
    error_message = "cluster_autoscaler_image_tag must look like v1.33.0."
  }
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples (Prometheus duration, e.g. 15d)."
  type        = string
  default     = "15d"

  validation {
    condition     = can(regex("^[0-9]+(h|d|w)$", var.prometheus_retention))
    error_message = "prometheus_retention must be a duration like 12h, 15d or 2w."
  }
}

variable "prometheus_storage_size" {
  description = "Size of Prometheus' gp3 volume, e.g. 50Gi."
  type        = string
  default     = "50Gi"

  validation {
    condition     = can(regex("^[0-9]+Gi$", var.prometheus_storage_size))
    error_message = "prometheus_storage_size must be a size in Gi, like 50Gi."
  }
}

variable "mongodb_chart_path" {
  description = "Path of the local orders-mongodb chart (deploy/mongodb/cluster)."
  type        = string

  # The helm provider reads the chart only at apply; a wrong path would fail there.
  validation {
    condition     = fileexists("${var.mongodb_chart_path}/Chart.yaml")
    error_message = "mongodb_chart_path must be a chart folder (with a Chart.yaml)."
  }
}

variable "kube_state_metrics_values_path" {
  description = "Path of extra kube-prometheus-stack values that make kube-state-metrics export the Percona backup objects (deploy/mongodb/kube-state-metrics-values.yaml)."
  type        = string
}

variable "mongodb_operator_values_path" {
  description = "Path of the psmdb-operator chart values (deploy/mongodb/operator-values.yaml)."
  type        = string
}

variable "mongodb_backup_bucket" {
  description = "S3 bucket of the MongoDB backups."
  type        = string
}

variable "mongodb_service_account" {
  description = "Service account of the MongoDB member pods; the backup pod identity is associated with it."
  type        = string
  default     = "orders-mongodb"
}

variable "mongodb_values" {
  description = "Extra values of the orders-mongodb chart (e.g. replicas, storageSize, resources), merged over the ones this module sets."
  type        = any
  default     = {}
}

variable "propagated_tags" {
  description = "Cost allocation tags the AWS Load Balancer Controller puts on the load balancers, target groups and security groups it creates (chart value defaultTags)."
  type        = map(string)
  default     = {}
}

variable "alerting" {
  description = "Where Alertmanager sends alerts. Every alert but Watchdog and InfoInhibitor goes to sns_topic_arn (the alarm topic, whose e-mail subscription is alarm_email); optionally also to Slack (slack_channel), e-mail over SMTP (email_to, email_from, email_smarthost, email_username) and, for severity critical, PagerDuty (pagerduty). Their secrets are keys of the Secret alertmanager-receivers in the monitoring namespace, created by hand (docs/operations.md), never in git, values or state."
  type = object({
    sns_topic_arn   = string
    slack_channel   = optional(string)
    pagerduty       = optional(bool, false)
    email_to        = optional(string)
    email_from      = optional(string)
    email_smarthost = optional(string)
    email_username  = optional(string)
  })

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alerting.sns_topic_arn))
    error_message = "alerting.sns_topic_arn must be an SNS topic ARN."
  }

  validation {
    condition     = var.alerting.email_to == null || (var.alerting.email_from != null && var.alerting.email_smarthost != null)
    error_message = "alerting.email_to needs email_from and email_smarthost (host:port)."
  }

  validation {
    condition     = var.alerting.slack_channel == null || can(regex("^#[a-z0-9_-]+$", coalesce(var.alerting.slack_channel, "#x")))
    error_message = "alerting.slack_channel must look like #alerts."
  }
}
