output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider."
  value       = local.oidc_provider_arn
}

output "push_role_arn" {
  description = "ARN of the image push role (GitHub variable AWS_PUSH_ROLE_ARN)."
  value       = aws_iam_role.push.arn
}

output "deploy_role_arn" {
  description = "ARN of the deploy role (GitHub variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}

output "terraform_role_arn" {
  description = "ARN of the Terraform role (GitHub variable AWS_TERRAFORM_ROLE_ARN)."
  value       = aws_iam_role.terraform.arn
}
