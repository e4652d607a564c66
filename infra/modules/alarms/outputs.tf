output "topic_arn" {
  description = "ARN of the alarm topic."
  value       = aws_sns_topic.alarms.arn
}

output "alb_alarms_enabled" {
  description = "Whether the ALB was found by tag and its alarms exist (false until the app's Ingress has been deployed and Terraform applied again)."
  value       = local.alb_found
}
