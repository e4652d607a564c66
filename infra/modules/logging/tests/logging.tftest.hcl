# Container logs go to one log group per cluster with the environment's retention; Fluent Bit's
# service account is the one with the Pod Identity association, and its role may write only
# there (issue 17).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }
}

mock_provider "helm" {}

variables {
  name           = "orderstack-dev"
  cluster_name   = "orderstack-dev"
  region         = "eu-west-1"
  retention_days = 14
}

run "log_group_with_retention" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.containers.name == "/aws/eks/orderstack-dev/containers"
    error_message = "container logs go to /aws/eks/<cluster>/containers"
  }

  assert {
    condition     = aws_cloudwatch_log_group.containers.retention_in_days == 14
    error_message = "the log group keeps logs retention_days"
  }
}

run "fluent_bit_writes_only_its_group_as_its_service_account" {
  command = plan

  override_resource {
    target          = aws_cloudwatch_log_group.containers
    override_during = plan
    values = {
      arn = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/eks/orderstack-dev/containers"
    }
  }

  assert {
    condition = one(data.aws_iam_policy_document.fluent_bit.statement).resources == toset([
      "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/eks/orderstack-dev/containers",
      "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/eks/orderstack-dev/containers:log-stream:*",
    ])
    error_message = "Fluent Bit may write only to the container log group"
  }

  assert {
    condition     = !contains(one(data.aws_iam_policy_document.fluent_bit.statement).actions, "logs:CreateLogGroup")
    error_message = "the group is Terraform's: Fluent Bit must not create groups (they would have no retention)"
  }

  assert {
    condition     = module.fluent_bit_identity.service_accounts[0] == "${helm_release.fluent_bit.namespace}/${yamldecode(helm_release.fluent_bit.values[0]).serviceAccount.name}"
    error_message = "the chart's service account must be the one with the Pod Identity association"
  }

  assert {
    condition     = yamldecode(helm_release.fluent_bit.values[0]).cloudWatchLogs.logGroupName == "/aws/eks/orderstack-dev/containers" && yamldecode(helm_release.fluent_bit.values[0]).cloudWatchLogs.autoCreateGroup == false
    error_message = "Fluent Bit must write to the Terraform log group without creating its own"
  }
}

run "retention_cloudwatch_refuses" {
  command = plan

  variables {
    retention_days = 10
  }

  expect_failures = [var.retention_days]
}
