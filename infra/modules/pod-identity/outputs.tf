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

output "additional_association_ids" {
  description = "IDs of the further service accounts' associations, keyed namespace/service_account."
  value       = { for k, a in aws_eks_pod_identity_association.additional : k => a.association_id }
}

output "service_accounts" {
  description = "Every namespace/service_account whose pods receive the role (the main one first)."
  value = concat(
    ["${aws_eks_pod_identity_association.this.namespace}/${aws_eks_pod_identity_association.this.service_account}"],
    [for a in aws_eks_pod_identity_association.additional : "${a.namespace}/${a.service_account}"],
  )
}
