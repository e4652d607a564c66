output "lb_controller_role_arn" {
  description = "Role of the AWS Load Balancer Controller."
  value       = module.lb_controller.role_arn
}

output "cluster_autoscaler_role_arn" {
  description = "Role of the Cluster Autoscaler."
  value       = module.cluster_autoscaler.role_arn
}

output "mongodb_backup_role_arn" {
  description = "Role of the MongoDB backup agents and of the Percona operator (this bucket only)."
  value       = module.mongodb_backup.role_arn
}

output "alertmanager_role_arn" {
  description = "Role of Alertmanager (sns:Publish on the alarm topic only)."
  value       = module.alertmanager.role_arn
}

output "association_ids" {
  description = "Pod identity association IDs; Helm releases of these workloads depend on them."
  value = [
    module.lb_controller.association_id,
    module.cluster_autoscaler.association_id,
    module.mongodb_backup.association_id,
    module.alertmanager.association_id,
    module.mongodb_backup.additional_association_ids["${var.mongodb_namespace}/${var.mongodb_operator_service_account}"],
  ]
}

output "mongodb_backup_service_accounts" {
  description = "Service accounts (namespace/name) associated with the MongoDB backup role: the members' and the operator's."
  value       = module.mongodb_backup.service_accounts
}
