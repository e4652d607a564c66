output "oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC provider (created by infra/bootstrap)."
  value       = data.aws_iam_openid_connect_provider.github.arn
}

output "plan_role_arn" {
  description = "ARN of the read-only plan role (GitHub repository variable AWS_<ENV>_PLAN_ROLE_ARN)."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "ARN of the apply role (GitHub environment variable AWS_APPLY_ROLE_ARN)."
  value       = aws_iam_role.apply.arn
}

output "deploy_role_arn" {
  description = "ARN of the deploy role (GitHub environment variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}

output "push_role_arn" {
  description = "ARN of the image push role (GitHub environment variable AWS_PUSH_ROLE_ARN); null in an environment that promotes images."
  value       = one(aws_iam_role.push[*].arn)
}

output "plans_key_alias" {
  description = "KMS alias that encrypts CI's saved plans (scripts/terraform-ci.sh uses alias/<name>-ci-plans)."
  value       = aws_kms_alias.plans.name
}
