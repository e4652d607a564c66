output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the Kubernetes API (public)."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_security_group_id" {
  description = "Security group EKS created for the control plane and the nodes."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "node_group_names" {
  description = "Managed node group name per availability zone."
  value       = { for az, ng in aws_eks_node_group.this : az => ng.node_group_name }
}

output "node_autoscaling_group_names" {
  description = "Auto Scaling group name behind each zone's node group."
  value       = { for az, ng in aws_eks_node_group.this : az => ng.resources[0].autoscaling_groups[0].name }
}

output "deployer_group" {
  description = "Kubernetes group of the CI deploy role (bind extra RBAC in the app namespace to it)."
  value       = local.deployer_group
}

output "developer_group" {
  description = "Kubernetes group of the developers role (bound to the MongoDB port-forward Role)."
  value       = local.developer_group
}

output "developers_role_arn" {
  description = "ARN of the role developers assume to port-forward to MongoDB."
  value       = aws_iam_role.developers.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting Kubernetes Secrets."
  value       = aws_kms_key.secrets.arn
}

output "addons_ready" {
  description = "IDs of the EKS add-ons; depend on this before installing Helm charts that need DNS, storage and Pod Identity."
  value = [
    aws_eks_addon.vpc_cni.id,
    aws_eks_addon.kube_proxy.id,
    aws_eks_addon.pod_identity_agent.id,
    aws_eks_addon.coredns.id,
    aws_eks_addon.metrics_server.id,
    aws_eks_addon.ebs_csi_driver.id,
  ]
}
