# Pass-through of modules/stack; scripts/, the workflows and docs read these names
# (docs/development.md lists the CI/CD contract).

output "region" {
  description = "AWS region (GitHub variable AWS_REGION)."
  value       = module.stack.region
}

output "cluster_name" {
  description = "EKS cluster name (GitHub variable EKS_CLUSTER_NAME)."
  value       = module.stack.cluster_name
}

output "public_subnet_cidrs" {
  description = "Public subnet CIDRs: the sources the orders chart's NetworkPolicy admits (networkPolicy.albSourceCidrs in deploy/helm/orders/values-<env>.yaml)."
  value       = module.stack.public_subnet_cidrs
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = module.stack.kubeconfig_command
}

output "ecr_repository_url" {
  description = "ECR repository of the service image (GitHub variable ECR_REPOSITORY_URL)."
  value       = module.stack.ecr_repository_url
}

output "github_push_role_arn" {
  description = "Image build role (GitHub environment variable AWS_PUSH_ROLE_ARN); null where images are promoted."
  value       = module.stack.github_push_role_arn
}

output "promote_from_repository_url" {
  description = "Repository whose tested digests this environment deploys (GitHub environment variable PROMOTE_FROM_REPOSITORY_URL)."
  value       = module.stack.promote_from_repository_url
}

output "github_plan_role_arn" {
  description = "Read-only Terraform plan role (GitHub repository variable AWS_<ENV>_PLAN_ROLE_ARN)."
  value       = module.stack.github_plan_role_arn
}

output "github_deploy_role_arn" {
  description = "Deploy role (GitHub variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.stack.github_deploy_role_arn
}

output "github_apply_role_arn" {
  description = "Terraform apply role of the protected environment (GitHub environment variable AWS_APPLY_ROLE_ARN)."
  value       = module.stack.github_apply_role_arn
}

output "app_namespace" {
  description = "Kubernetes namespace of the order service."
  value       = module.stack.app_namespace
}

output "alb_hostname_command" {
  description = "Command that prints the ALB's DNS name once the app's Ingress is deployed."
  value       = module.stack.alb_hostname_command
}

output "mongodb_backup_bucket" {
  description = "S3 bucket of the MongoDB backups."
  value       = module.stack.mongodb_backup_bucket
}

output "grafana_password_command" {
  description = "Command that prints Grafana's admin password (the value is never an output)."
  value       = module.stack.grafana_password_command
}

output "developers_role_arn" {
  description = "Role developers assume (with MFA) to port-forward to MongoDB."
  value       = module.stack.developers_role_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms and budget alerts."
  value       = module.stack.alarm_topic_arn
}

output "alb_alarms_enabled" {
  description = "Whether the ALB alarms exist yet."
  value       = module.stack.alb_alarms_enabled
}

output "nat_public_ips" {
  description = "Egress IPs of the cluster."
  value       = module.stack.nat_public_ips
}

output "certificate_arn" {
  description = "ACM certificate of the API's domain for ingress.certificateArn (GitHub variable CERTIFICATE_ARN); empty: HTTP only."
  value       = module.stack.certificate_arn
}

output "public_host" {
  description = "Host name of the API for ingress.host (GitHub variable PUBLIC_HOST); empty without a domain."
  value       = module.stack.public_host
}

output "waf_web_acl_arn" {
  description = "WAFv2 web ACL of the orders ALB (deploy-app.sh: chart value ingress.wafv2AclArn; GitHub environment variable WAF_ACL_ARN)."
  value       = module.stack.waf_web_acl_arn
}

output "alb_access_logs_bucket" {
  description = "S3 bucket of the ALB access logs (deploy-app.sh: chart value ingress.accessLogsBucket; GitHub environment variable ALB_ACCESS_LOGS_BUCKET)."
  value       = module.stack.alb_access_logs_bucket
}

output "container_log_group" {
  description = "CloudWatch Logs group of every container's stdout (Logs Insights queries: docs/operations.md)."
  value       = module.stack.container_log_group
}
