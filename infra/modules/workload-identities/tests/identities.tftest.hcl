# What each workload's role may do in AWS and who receives it, planned on a mocked aws provider
# (no AWS, no credentials). The load balancer controller's actions are those of its v2
# iam_policy.json; every write is limited to resources tagged for this cluster.
#
# The MongoDB backup role reaches every process of Percona's that touches the bucket: the member
# pods' backup-agent sidecars (write backups and oplog chunks) and the operator (reads a backup's
# metadata to validate a restore, deletes old backups). Without the operator's association every
# PerconaServerMongoDBRestore fails validation and retention never deletes anything (issue 12).

mock_provider "aws" {}

variables {
  name            = "orderstack-test"
  cluster_name    = "orderstack-test"
  alarm_topic_arn = "arn:aws:sns:eu-west-1:111122223333:orderstack-test-alarms"
  backup_writer_policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = ["arn:aws:s3:::orderstack-test-backups/*"] }]
  })
}

run "members_and_operator_get_the_backup_role" {
  command = plan

  assert {
    condition     = contains(output.mongodb_backup_service_accounts, "mongodb/orders-mongodb")
    error_message = "the MongoDB member pods (mongodb/orders-mongodb) must be associated with the backup role"
  }

  assert {
    condition     = contains(output.mongodb_backup_service_accounts, "mongodb/psmdb-operator")
    error_message = "the Percona operator (mongodb/psmdb-operator) must be associated with the backup role"
  }
}

run "operator_follows_its_namespace_and_name" {
  command = plan

  variables {
    mongodb_namespace                = "db"
    mongodb_operator_service_account = "my-operator"
  }

  assert {
    condition     = output.mongodb_backup_service_accounts == ["db/orders-mongodb", "db/my-operator"]
    error_message = "the backup role's associations must follow mongodb_namespace and mongodb_operator_service_account"
  }
}

run "policies" {
  command = plan

  assert {
    condition = length(setsubtract([
      "iam:CreateServiceLinkedRole", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:CreateSecurityGroup",
      "ec2:CreateTags", "ec2:DeleteSecurityGroup", "elasticloadbalancing:CreateLoadBalancer",
      "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule",
      "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:AddTags",
      "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:ModifyListenerAttributes",
      "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:SetWebAcl", "wafv2:AssociateWebACL",
      "acm:DescribeCertificate", "shield:GetSubscriptionState",
    ], flatten(data.aws_iam_policy_document.lb_controller.statement[*].actions))) == 0
    error_message = "the load balancer controller lacks actions of its iam_policy.json"
  }

  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.lb_controller.statement : [
      for a, tag in {
        "elasticloadbalancing:CreateLoadBalancer"           = "aws:RequestTag/elbv2.k8s.aws/cluster"
        "elasticloadbalancing:CreateTargetGroup"            = "aws:RequestTag/elbv2.k8s.aws/cluster"
        "elasticloadbalancing:DeleteLoadBalancer"           = "aws:ResourceTag/elbv2.k8s.aws/cluster"
        "elasticloadbalancing:DeleteTargetGroup"            = "aws:ResourceTag/elbv2.k8s.aws/cluster"
        "elasticloadbalancing:ModifyLoadBalancerAttributes" = "aws:ResourceTag/elbv2.k8s.aws/cluster"
        "ec2:DeleteSecurityGroup"                           = "aws:ResourceTag/elbv2.k8s.aws/cluster"
        } : !contains(s.actions, a) || anytrue([
          for c in s.condition : c.test == "Null" && c.variable == tag && toset(c.values) == toset(["false"])
      ])
    ]]))
    error_message = "the controller may create, change or delete load balancers, target groups and security groups only tagged elbv2.k8s.aws/cluster"
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.lb_controller.statement :
      !contains(s.actions, "iam:CreateServiceLinkedRole") || anytrue([
        for c in s.condition : c.test == "StringEquals" && c.variable == "iam:AWSServiceName" && toset(c.values) == toset(["elasticloadbalancing.amazonaws.com"])
    ])])
    error_message = "iam:CreateServiceLinkedRole only for elasticloadbalancing.amazonaws.com"
  }

  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.cluster_autoscaler.statement : [
      for a in ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"] :
      !contains(s.actions, a) || anytrue([for c in s.condition :
        c.test == "StringEquals" && c.variable == "aws:ResourceTag/k8s.io/cluster-autoscaler/orderstack-test" && toset(c.values) == toset(["owned"])
      ])
    ]])) && contains(flatten(data.aws_iam_policy_document.cluster_autoscaler.statement[*].actions), "autoscaling:SetDesiredCapacity")
    error_message = "the cluster autoscaler may resize or terminate only this cluster's Auto Scaling groups"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.alertmanager.statement) == 1 && toset(data.aws_iam_policy_document.alertmanager.statement[0].actions) == toset(["sns:Publish"]) && toset(data.aws_iam_policy_document.alertmanager.statement[0].resources) == toset([var.alarm_topic_arn])
    error_message = "Alertmanager may publish to the alarm topic and nothing else"
  }
}
