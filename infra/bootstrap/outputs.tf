output "state_bucket" {
  description = "Name of the Terraform state bucket."
  value       = aws_s3_bucket.this.id
}

output "region" {
  description = "Region of the state bucket."
  value       = var.region
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider the environments' CI roles trust (null when manage_github_oidc_provider is false)."
  value       = one(aws_iam_openid_connect_provider.github[*].arn)
}
