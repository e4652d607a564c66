# Plans the whole environment on mocked providers, once per <env>.tfvars (make test-infra runs
# `terraform test -var-file=<env>.tfvars`): every value passes the validations of modules/stack,
# every required choice is set, and prod keeps the choices that protect it.

# Data sources answer like a real account would where a module validates the shape (ARNs).
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
      arn        = "arn:aws:iam::111122223333:user/test"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
    }
  }
}
mock_provider "helm" {}
mock_provider "kubernetes" {}
mock_provider "random" {}

run "plan" {
  command = plan

  assert {
    condition     = var.environment != "prod" || (!var.single_nat_gateway && var.flow_logs_enabled && !var.allow_destroy_with_data)
    error_message = "prod needs a NAT gateway per zone, VPC flow logs and data that survives terraform destroy"
  }

  assert {
    condition     = output.cluster_name == "orderstack-${var.environment}"
    error_message = "the cluster is named after the environment"
  }

  assert {
    condition     = length(setsubtract(keys(var.mongodb_values), keys(yamldecode(file("../../deploy/mongodb/cluster/values.yaml"))))) == 0
    error_message = "mongodb_values of ${var.environment}.tfvars: every key must be a value of deploy/mongodb/cluster/values.yaml"
  }

  # The ALB's ENIs live in the public subnets; the chart's NetworkPolicy must admit exactly those
  # (a mismatch cuts the ALB off from every pod; the whole VPC would admit every pod too).
  assert {
    condition     = output.public_subnet_cidrs == yamldecode(file("../../deploy/helm/orders/values-${var.environment}.yaml")).networkPolicy.albSourceCidrs
    error_message = "networkPolicy.albSourceCidrs of deploy/helm/orders/values-${var.environment}.yaml must be the public subnets ${jsonencode(output.public_subnet_cidrs)}"
  }
}
