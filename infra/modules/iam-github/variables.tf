variable "name" {
  description = "Name prefix of the roles, e.g. orderstack-dev."
  type        = string
}

variable "github_repository" {
  description = "GitHub repository allowed to assume the roles, as owner/name. Never a wildcard."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be exactly owner/name (letters, digits, _ . -), no wildcard."
  }
}

variable "github_branch" {
  description = "Branch whose workflow runs may push images (sub claim ref:refs/heads/<branch>)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]+$", var.github_branch))
    error_message = "github_branch must be a plain branch name, no wildcard."
  }
}

variable "github_environment" {
  description = "GitHub environment whose jobs may deploy and run Terraform (sub claim environment:<name>)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.github_environment))
    error_message = "github_environment must be a plain environment name, no wildcard."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account has one per URL: set false in the second environment of a shared account to look the existing one up."
  type        = bool
  default     = true
}

variable "ecr_repository_arn" {
  description = "ARN of the only ECR repository the push role may push to."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster the deploy role may describe (its Kubernetes rights come from the cluster's access entry)."
  type        = string
}

variable "terraform_policy_arns" {
  description = "Managed policies of the Terraform role. It creates IAM roles, KMS keys and the whole stack, so in practice it is an administrator; guard it by the trust policy (protected environment) and a permissions boundary if the account has one."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
