locals {
  # The load balancer controller tags the ALB and its target groups; found by tag, so alarms appear on
  # the first apply after the app's Ingress exists (see docs/infra.md).
  alb_arns          = [for r in data.aws_resourcegroupstaggingapi_resources.alb.resource_tag_mapping_list : r.resource_arn]
  alb_found         = length(local.alb_arns) > 0
  alb_arn_suffix    = local.alb_found ? regex("loadbalancer/(.+)$", local.alb_arns[0])[0] : ""
  target_group_arns = [for r in data.aws_resourcegroupstaggingapi_resources.target_groups.resource_tag_mapping_list : r.resource_arn]
  target_groups     = { for arn in local.target_group_arns : regex("targetgroup/([^/]+)/", arn)[0] => regex(":(targetgroup/.+)$", arn)[0] }

  alarm_actions = [aws_sns_topic.alarms.arn]
}
