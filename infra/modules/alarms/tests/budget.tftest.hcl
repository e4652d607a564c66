# The monthly budget counts this environment's costs only (cost allocation tag Environment), so
# dev and prod in one account do not both alarm on the sum of the two (issue 12).

mock_provider "aws" {}

variables {
  name                         = "orderstack-dev"
  environment                  = "dev"
  cluster_name                 = "orderstack-dev"
  node_group_zones             = ["eu-west-1a"]
  node_autoscaling_group_names = { "eu-west-1a" = "eks-orderstack-dev-eu-west-1a" }
  monthly_budget_usd           = 600
}

run "budget_filtered_by_environment_tag" {
  command = plan

  assert {
    condition     = one(aws_budgets_budget.monthly.cost_filter).name == "TagKeyValue"
    error_message = "the budget must filter by a cost allocation tag"
  }

  assert {
    condition     = one(aws_budgets_budget.monthly.cost_filter).values == tolist(["user:Environment$dev"])
    error_message = "the budget must count only costs tagged Environment=dev"
  }

  assert {
    condition     = aws_budgets_budget.monthly.limit_amount == "600.00"
    error_message = "the budget's limit must be monthly_budget_usd"
  }
}

run "prod_counts_prod" {
  command = plan

  variables {
    name        = "orderstack-prod"
    environment = "prod"
  }

  assert {
    condition     = one(aws_budgets_budget.monthly.cost_filter).values == tolist(["user:Environment$prod"])
    error_message = "the prod budget must count only costs tagged Environment=prod"
  }
}

run "whole_account_when_asked" {
  command = plan

  variables {
    budget_filter_by_environment_tag = false
  }

  assert {
    condition     = length(aws_budgets_budget.monthly.cost_filter) == 0
    error_message = "without the tag filter the budget counts the whole account"
  }
}
