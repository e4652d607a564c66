locals {
  grafana_secret_name = "grafana-admin"

  # gp3 is the cluster default; MongoDB data gets its own class with reclaimPolicy Retain, created by its chart.
  mongodb_storage_class = "gp3-retain"

  mongodb_values = merge({
    backupBucket       = var.mongodb_backup_bucket
    backupRegion       = var.region
    serviceAccountName = var.mongodb_service_account
    storageClassName   = local.mongodb_storage_class
    createStorageClass = true
  }, var.mongodb_values)
}
