# What the CI roles may do: the deploy role reads its repository (issue #12, blocker 1: the
# scripts call ecr describe-images), prod's deploy role reads dev's (promotion), the plan role
# takes the state lock. Run by `terraform test` with a mock AWS provider.

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

# The plans key's ARN is known only after apply; the plan role's statements name it.
override_resource {
  target          = aws_kms_key.plans
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/plans"
    key_id = "plans"
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

run "dev_deploy_reads_its_repository" {
  command = plan

  assert {
    condition = alltrue([for a in ["ecr:DescribeImages", "ecr:BatchGetImage", "ecr:PutImage"] : contains(flatten([
      for s in data.aws_iam_policy_document.deploy.statement : s.actions if contains(s.resources, var.ecr_repository_arn)
    ]), a)])
    error_message = "the deploy role needs ecr:DescribeImages (tag -> digest), BatchGetImage and PutImage (tested-<sha>) on its repository"
  }

  assert {
    condition = contains(flatten([
      for s in data.aws_iam_policy_document.deploy.statement : s.actions if contains(s.resources, "arn:aws:eks:eu-west-1:123456789012:cluster/orderstack-dev")
    ]), "eks:DescribeCluster")
    error_message = "the deploy role needs eks:DescribeCluster on its cluster"
  }

  assert {
    condition     = !contains(flatten(data.aws_iam_policy_document.deploy.statement[*].actions), "ecr:InitiateLayerUpload")
    error_message = "dev's deploy role uploads no layers: only promotion does"
  }
}

run "prod_deploy_promotes" {
  command = plan

  variables {
    name                        = "orderstack-prod"
    github_environment          = "prod"
    ecr_repository_arn          = "arn:aws:ecr:eu-west-1:123456789012:repository/orderstack-prod/orders"
    promote_from_repository_arn = "arn:aws:ecr:eu-west-1:123456789012:repository/orderstack-dev/orders"
    cluster_name                = "orderstack-prod"
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.deploy.statement : s.actions if contains(s.resources, "arn:aws:ecr:eu-west-1:123456789012:repository/orderstack-dev/orders")
    ])) == toset(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"])
    error_message = "prod's deploy role may only read dev's repository"
  }

  assert {
    condition = contains(flatten([
      for s in data.aws_iam_policy_document.deploy.statement : s.actions if contains(s.resources, var.ecr_repository_arn)
    ]), "ecr:InitiateLayerUpload")
    error_message = "prod's deploy role copies the tested image into its repository"
  }
}

run "plan_role_takes_the_lock" {
  command = plan

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.plan.statement : s.actions if contains(s.resources, "arn:aws:s3:::orderstack-tfstate-eu-west-1/orderstack/dev/terraform.tfstate.tflock")
    ])) == toset(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"])
    error_message = "the plan role writes only the lock file"
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.plan.statement : s.actions if contains(s.resources, "arn:aws:s3:::orderstack-tfstate-eu-west-1/orderstack/dev/terraform.tfstate")
    ])) == toset(["s3:GetObject"])
    error_message = "the plan role reads the state and never writes it"
  }

  # Pull requests assume the plan role (trust.tftest.hcl): every Allow of it reads, except the
  # writes of the state's lock file. kms:GenerateDataKey only returns a fresh key.
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.plan.statement : s.effect == "Deny" || alltrue([
      for a in s.actions : can(regex("^[a-z0-9-]+:(Describe|Get|List|BatchGet|BatchCheck|Head|Search|Lookup|View)[A-Za-z]*$|^kms:GenerateDataKey$", a)) ||
      alltrue([for r in s.resources : endswith(r, ".tflock")])
    ])])
    error_message = "every Allow of the plan role is a read (or writes only the lock file): pull requests assume it"
  }
}

run "plans_key_only_the_apply_role_decrypts" {
  command = plan

  assert {
    condition = contains(flatten([
      for s in data.aws_iam_policy_document.plan.statement : s.actions if s.effect == "Deny"
    ]), "kms:Decrypt")
    error_message = "the plan role is explicitly denied kms:Decrypt on the plans key"
  }

  assert {
    condition = contains(flatten([
      for s in data.aws_iam_policy_document.plan.statement : s.actions if s.effect != "Deny"
    ]), "kms:GenerateDataKey")
    error_message = "the plan role encrypts its plan with a data key of the plans key"
  }

  assert {
    condition     = aws_kms_key.plans.enable_key_rotation && aws_kms_alias.plans.name == "alias/orderstack-dev-ci-plans"
    error_message = "the plans key rotates and has the alias scripts/terraform-ci.sh uses"
  }

  assert {
    condition = contains(flatten([
      for s in data.aws_iam_policy_document.plan.statement : s.resources if s.effect == "Deny"
    ]), aws_kms_key.plans.arn)
    error_message = "the Deny names the plans key itself"
  }
}
