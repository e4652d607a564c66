output "grafana_password_command" {
  description = "kubectl command that prints the Grafana admin password (the value itself is never an output)."
  value       = "kubectl -n ${var.monitoring_namespace} get secret ${local.grafana_secret_name} -o jsonpath='{.data.admin-password}' | base64 -d"
}

output "app_namespace" {
  description = "Namespace of the order service."
  value       = kubernetes_namespace_v1.app.metadata[0].name
}

output "default_storage_class" {
  description = "Name of the default StorageClass (encrypted gp3)."
  value       = kubernetes_storage_class_v1.gp3.metadata[0].name
}
