# Who may assume each CI role, per environment: exactly the OIDC subjects of the jobs that use it
# (docs/cicd.md). Run by `terraform test` with a mock AWS provider: no account, no credentials.

mock_provider "aws" {
  mock_data "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
    }
  }
}

variables {
  name               = "orderstack-dev"
  github_repository  = "orderstack/orderstack"
  github_environment = "dev"
  ecr_repository_arn = "arn:aws:ecr:eu-west-1:123456789012:repository/orderstack-dev/orders"
  cluster_name       = "orderstack-dev"
  terraform_state = {
    bucket = "orderstack-tfstate-eu-west-1"
    key    = "orderstack/dev/terraform.tfstate"
  }
}

run "dev_subjects" {
  command = plan

  assert {
    condition = toset(flatten([
      for c in data.aws_iam_policy_document.plan_assume.statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"
      ])) == toset([
      "repo:orderstack/orderstack:pull_request",
      "repo:orderstack/orderstack:ref:refs/heads/main",
    ])
    error_message = "the plan role must trust exactly pull requests and the main branch's plan job"
  }

  assert {
    condition = toset(flatten([
      for c in data.aws_iam_policy_document.environment_assume.statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"
    ])) == toset(["repo:orderstack/orderstack:environment:dev"])
    error_message = "apply, deploy and push must trust exactly the environment dev"
  }

  assert {
    condition = alltrue([
      for d in [data.aws_iam_policy_document.plan_assume, data.aws_iam_policy_document.environment_assume] :
      alltrue([for c in d.statement[0].condition : c.test == "StringEquals"])
    ])
    error_message = "subjects and audience are compared with StringEquals, never a pattern"
  }

  assert {
    condition = alltrue([
      for d in [data.aws_iam_policy_document.plan_assume, data.aws_iam_policy_document.environment_assume] :
      contains(flatten([for c in d.statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:aud"]), "sts.amazonaws.com")
    ])
    error_message = "the audience must be sts.amazonaws.com"
  }

  assert {
    condition     = length(aws_iam_role.push) == 1
    error_message = "dev builds images: it has a push role"
  }

  assert {
    condition     = toset(keys(aws_iam_role_policy_attachment.plan)) == toset(["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    error_message = "the plan role carries ReadOnlyAccess and nothing else managed"
  }
}

run "prod_subjects" {
  command = plan

  variables {
    name                        = "orderstack-prod"
    github_environment          = "prod"
    ecr_repository_arn          = "arn:aws:ecr:eu-west-1:123456789012:repository/orderstack-prod/orders"
    promote_from_repository_arn = "arn:aws:ecr:eu-west-1:123456789012:repository/orderstack-dev/orders"
    cluster_name                = "orderstack-prod"
    terraform_state = {
      bucket = "orderstack-tfstate-eu-west-1"
      key    = "orderstack/prod/terraform.tfstate"
    }
  }

  assert {
    condition = toset(flatten([
      for c in data.aws_iam_policy_document.environment_assume.statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"
    ])) == toset(["repo:orderstack/orderstack:environment:prod"])
    error_message = "prod's writing roles trust exactly the environment prod, never a branch"
  }

  assert {
    condition     = length(aws_iam_role.push) == 0
    error_message = "prod promotes images: it has no push role"
  }
}

run "plan_role_stays_read_only" {
  command = plan

  variables {
    plan_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  }

  expect_failures = [var.plan_policy_arns]
}

run "no_wildcard_repository" {
  command = plan

  variables {
    github_repository = "orderstack/*"
  }

  expect_failures = [var.github_repository]
}
