data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_resourcegroupstaggingapi_resources" "alb" {
  resource_type_filters = ["elasticloadbalancing:loadbalancer"]

  tag_filter {
    key    = "elbv2.k8s.aws/cluster"
    values = [var.cluster_name]
  }

  tag_filter {
    key    = "ingress.k8s.aws/stack"
    values = [var.alb_ingress_group]
  }
}

data "aws_resourcegroupstaggingapi_resources" "target_groups" {
  resource_type_filters = ["elasticloadbalancing:targetgroup"]

  tag_filter {
    key    = "elbv2.k8s.aws/cluster"
    values = [var.cluster_name]
  }

  tag_filter {
    key    = "ingress.k8s.aws/stack"
    values = [var.alb_ingress_group]
  }
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AccountOwnerManages"
    actions   = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmsAndBudgetsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# Topic every alarm and budget alert of the environment publishes to.
resource "aws_sns_topic" "alarms" {
  name = "${var.name}-alarms"

  tags = var.tags
}

# Lets CloudWatch alarms and AWS Budgets of this account publish to the topic.
resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.topic.json
}

# E-mail subscription of the on-call address (AWS sends a confirmation mail first).
resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# Share of requests the ALB answers with a 5xx (its own or the pods'), by metric math.
resource "aws_cloudwatch_metric_alarm" "alb_5xx_ratio" {
  count = local.alb_found ? 1 : 0

  alarm_name          = "${var.name}-alb-5xx-ratio"
  alarm_description   = "More than ${var.alb_5xx_ratio_threshold * 100}% of requests answered 5xx for 5 minutes. Runbook: docs/operations.md#ordershigherrorrate"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alb_5xx_ratio_threshold
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "ratio"
    expression  = "IF(requests > 0, (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)"
    label       = "5xx ratio"
    return_data = true
  }

  metric_query {
    id = "elb5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = local.alb_arn_suffix }
    }
  }

  metric_query {
    id = "target5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = local.alb_arn_suffix }
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = local.alb_arn_suffix }
    }
  }

  tags = var.tags
}

# p99 of the time from the ALB sending a request to the pod answering.
resource "aws_cloudwatch_metric_alarm" "alb_p99_latency" {
  count = local.alb_found ? 1 : 0

  alarm_name          = "${var.name}-alb-p99-latency"
  alarm_description   = "ALB p99 TargetResponseTime above ${var.alb_p99_seconds_threshold}s for 5 minutes. Runbook: docs/operations.md#ordershighlatencyp99"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alb_p99_seconds_threshold
  treat_missing_data  = "notBreaching"
  dimensions          = { LoadBalancer = local.alb_arn_suffix }
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# Targets (pods) the ALB health check (/readyz) marks unhealthy, per target group.
resource "aws_cloudwatch_metric_alarm" "alb_unhealthy_hosts" {
  for_each = local.alb_found ? local.target_groups : {}

  alarm_name          = "${var.name}-alb-unhealthy-${each.key}"
  alarm_description   = "Unhealthy targets in ${each.key} for 3 minutes. Runbook: docs/operations.md#ordersnoreadypods"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = local.alb_arn_suffix
    TargetGroup  = each.value
  }

  tags = var.tags
}

# Failed EC2 status checks of any node in a zone's node group (detailed monitoring aggregates by Auto Scaling group).
resource "aws_cloudwatch_metric_alarm" "node_status_check" {
  for_each = toset(var.node_group_zones)

  alarm_name          = "${var.name}-nodes-${each.key}-status-check"
  alarm_description   = "A node of the ${each.key} node group fails its EC2 status checks for 3 minutes."
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "missing"
  dimensions          = { AutoScalingGroupName = var.node_autoscaling_group_names[each.key] }
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# Monthly cost budget of this environment's resources (cost allocation tag Environment) with alerts
# at 80% and 100% of actual spend and 100% of forecast.
resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = var.budget_filter_by_environment_tag ? [1] : []

    content {
      name   = "TagKeyValue"
      values = [format("user:Environment$%s", var.environment)]
    }
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_sns_topic_arns  = local.alarm_actions
    subscriber_email_addresses = var.alarm_email == null ? [] : [var.alarm_email]
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_sns_topic_arns  = local.alarm_actions
    subscriber_email_addresses = var.alarm_email == null ? [] : [var.alarm_email]
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_sns_topic_arns  = local.alarm_actions
    subscriber_email_addresses = var.alarm_email == null ? [] : [var.alarm_email]
  }

  depends_on = [aws_sns_topic_policy.alarms]
}
