output "bucket_name" {
  description = "Name of the backup bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the backup bucket."
  value       = aws_s3_bucket.this.arn
}

output "writer_policy_json" {
  description = "IAM policy allowing read, write and list on this bucket only (for the backup agent's role)."
  value       = data.aws_iam_policy_document.writer.json
}
