output "log_group_name" {
  description = "CloudWatch Logs group of the container logs (Logs Insights: docs/operations.md)."
  value       = aws_cloudwatch_log_group.containers.name
}

output "role_arn" {
  description = "IAM role Fluent Bit's service account receives through EKS Pod Identity."
  value       = module.fluent_bit_identity.role_arn
}
