output "role_arn" {
  description = "ARN of the workload's IAM role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the workload's IAM role."
  value       = aws_iam_role.this.name
}

output "association_id" {
  description = "ID of the pod identity association."
  value       = aws_eks_pod_identity_association.this.association_id
}
