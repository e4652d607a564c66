output "access_logs_bucket" {
  description = "Name of the ALB access-log bucket (orders chart value ingress.accessLogsBucket)."
  value       = aws_s3_bucket.access_logs.id
}

output "access_logs_prefix" {
  description = "Key prefix of the access logs in the bucket (orders chart value ingress.accessLogsPrefix)."
  value       = var.access_logs_prefix
}

output "web_acl_arn" {
  description = "ARN of the WAFv2 web ACL for the orders ALB (orders chart value ingress.wafv2AclArn)."
  value       = aws_wafv2_web_acl.this.arn
}
