output "region" {
  description = "AWS region of the environment (GitHub variable AWS_REGION)."
  value       = var.region
}

output "cluster_name" {
  description = "EKS cluster name (GitHub variable EKS_CLUSTER_NAME)."
  value       = module.eks.cluster_name
}

output "public_subnet_cidrs" {
  description = "Public subnet CIDRs: the sources the orders chart's NetworkPolicy admits (networkPolicy.albSourceCidrs in deploy/helm/orders/values-<env>.yaml)."
  value       = module.network.public_subnet_cidrs
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "ecr_repository_url" {
  description = "ECR repository of the service image (GitHub variable ECR_REPOSITORY_URL)."
  value       = module.ecr.repository_url
}

output "github_push_role_arn" {
  description = "Role the image build assumes through GitHub OIDC (GitHub variable AWS_PUSH_ROLE_ARN); null where images are promoted, not built."
  value       = module.iam_github.push_role_arn
}

output "promote_from_repository_url" {
  description = "Repository whose tested digests this environment deploys (GitHub environment variable PROMOTE_FROM_REPOSITORY_URL); null where images are built."
  value       = local.promote_from_repository_url
}

output "github_plan_role_arn" {
  description = "Read-only role of the Terraform plan jobs, pull requests included (GitHub repository variable AWS_<ENV>_PLAN_ROLE_ARN)."
  value       = module.iam_github.plan_role_arn
}

output "github_deploy_role_arn" {
  description = "Role the deploy job assumes through GitHub OIDC (GitHub variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.iam_github.deploy_role_arn
}

output "github_apply_role_arn" {
  description = "Role the apply job of the protected environment assumes to apply a reviewed plan (GitHub variable AWS_APPLY_ROLE_ARN)."
  value       = module.iam_github.apply_role_arn
}

output "app_namespace" {
  description = "Kubernetes namespace of the order service."
  value       = module.addons.app_namespace
}

output "alb_hostname_command" {
  description = "Command that prints the DNS name of the ALB in front of the service (once the app's Ingress is deployed)."
  value       = "kubectl -n ${local.app_namespace} get ingress orders -o jsonpath='{.status.loadBalancer.ingress[0].hostname}'"
}

output "mongodb_backup_bucket" {
  description = "S3 bucket of the MongoDB backups (value backupBucket of the orders-mongodb chart)."
  value       = module.backup_bucket.bucket_name
}

output "grafana_password_command" {
  description = "Command that prints Grafana's admin password from its Kubernetes Secret (the value is never an output)."
  value       = module.addons.grafana_password_command
}

output "developers_role_arn" {
  description = "Role developers assume (with MFA) to port-forward to MongoDB."
  value       = module.eks.developers_role_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the AWS-side alarms and budget alerts."
  value       = module.alarms.topic_arn
}

output "alb_alarms_enabled" {
  description = "Whether the ALB alarms exist yet (they need the app's Ingress deployed, then one more apply)."
  value       = module.alarms.alb_alarms_enabled
}

output "nat_public_ips" {
  description = "Egress IPs of the cluster."
  value       = module.network.nat_public_ips
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint; the roots configure the kubernetes and helm providers with it."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA bundle of the cluster; the roots configure the kubernetes and helm providers with it."
  value       = module.eks.cluster_certificate_authority_data
}

output "tags" {
  description = "Tags of every resource (Project, Environment, ManagedBy, Repository); the roots give them to the aws provider's default_tags."
  value       = local.tags
}

output "certificate_arn" {
  description = "ACM certificate of domain_name for the chart's ingress.certificateArn (GitHub variable CERTIFICATE_ARN); empty without domain_name (HTTP only)."
  value       = var.domain_name == null ? "" : module.certificate[0].certificate_arn
}

output "public_host" {
  description = "Host name of the API for the chart's ingress.host (GitHub variable PUBLIC_HOST); empty without domain_name."
  value       = var.domain_name == null ? "" : var.domain_name
}

output "waf_web_acl_arn" {
  description = "WAFv2 web ACL of the orders ALB (deploy-app.sh: chart value ingress.wafv2AclArn; GitHub environment variable WAF_ACL_ARN)."
  value       = module.edge.web_acl_arn
}

output "alb_access_logs_bucket" {
  description = "S3 bucket of the ALB access logs (deploy-app.sh: chart value ingress.accessLogsBucket; GitHub environment variable ALB_ACCESS_LOGS_BUCKET)."
  value       = module.edge.access_logs_bucket
}

output "container_log_group" {
  description = "CloudWatch Logs group of every container's stdout (Logs Insights queries: docs/operations.md)."
  value       = module.logging.log_group_name
}
