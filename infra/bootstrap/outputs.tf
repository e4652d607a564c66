output "state_bucket" {
  description = "Name of the Terraform state bucket."
  value       = aws_s3_bucket.this.id
}

output "region" {
  description = "Region of the state bucket."
  value       = var.region
}
