output "state_bucket" {
  description = "Name of the Terraform state bucket."
  value       = aws_s3_bucket.this.id
}

output "region" {
  description = "Region of the state bucket."
  value       = var.region
}

output "backend_init_command" {
  description = "How to initialise an environment root against this bucket (run in infra/envs/<env>)."
  value       = "terraform init -backend-config=\"bucket=${aws_s3_bucket.this.id}\" -backend-config=\"region=${var.region}\""
}
