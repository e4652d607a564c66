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
  description = "Branch whose plan job (no environment, sub claim ref:refs/heads/<branch>) may assume the read-only plan role."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]+$", var.github_branch))
    error_message = "github_branch must be a plain branch name, no wildcard."
  }
}

variable "github_environment" {
  description = "GitHub environment whose jobs may deploy, push and apply (sub claim environment:<name>)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.github_environment))
    error_message = "github_environment must be a plain environment name, no wildcard."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of this environment's ECR repository (push role and deploy role are limited to it)."
  type        = string
}

variable "promote_from_repository_arn" {
  description = "ECR repository whose tested images this environment promotes (prod: dev's repository); null for the environment that builds images, which then gets a push role."
  type        = string
  default     = null

  validation {
    condition     = var.promote_from_repository_arn == null || can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", var.promote_from_repository_arn))
    error_message = "promote_from_repository_arn must be an ECR repository ARN or null."
  }
}

variable "cluster_name" {
  description = "EKS cluster the deploy role may describe (its Kubernetes rights come from the cluster's access entry)."
  type        = string
}

variable "terraform_state" {
  description = "Bucket and key of this environment's Terraform state: the plan role may read the key and write <key>.tflock."
  type = object({
    bucket = string
    key    = string
  })
}

variable "plan_policy_arns" {
  description = "Managed policies of the read-only plan role (with the state read and lock write of terraform_state)."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]

  validation {
    condition     = alltrue([for a in var.plan_policy_arns : can(regex("ReadOnly|ViewOnly", a))])
    error_message = "plan_policy_arns must be read-only policies (ReadOnly or ViewOnly in the name): pull requests assume this role."
  }
}

variable "apply_policy_arns" {
  description = "Managed policies of the apply role. It creates IAM roles, KMS keys and the whole stack, so in practice it is an administrator; it is guarded by its trust (the protected GitHub environment only) and by applying only a reviewed plan."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
