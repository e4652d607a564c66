# Roles for in-cluster workloads, each bound to one service account through EKS Pod Identity.

module "lb_controller" {
  source = "../pod-identity"

  name            = "${var.name}-lbc"
  cluster_name    = var.cluster_name
  namespace       = "kube-system"
  service_account = "aws-load-balancer-controller"
  policy_json     = data.aws_iam_policy_document.lb_controller.json
  tags            = var.tags
}

module "cluster_autoscaler" {
  source = "../pod-identity"

  name            = "${var.name}-ca"
  cluster_name    = var.cluster_name
  namespace       = "kube-system"
  service_account = "cluster-autoscaler"
  policy_json     = data.aws_iam_policy_document.cluster_autoscaler.json
  tags            = var.tags
}

# The backup role, for both sides of Percona's backups: the member pods' backup-agent sidecars
# write backups and oplog chunks, and the operator process itself reads a backup's metadata from
# S3 to validate every PerconaServerMongoDBRestore and deletes old backups (retention and the
# percona.com/delete-backup finalizer). Percona's EKS e2e test (operator v1.21.1,
# e2e-tests/demand-backup-eks-credentials-irsa/run) grants the role to both service accounts.
module "mongodb_backup" {
  source = "../pod-identity"

  name            = "${var.name}-mongo-bkp"
  cluster_name    = var.cluster_name
  namespace       = var.mongodb_namespace
  service_account = var.mongodb_service_account
  additional_service_accounts = [{
    namespace       = var.mongodb_namespace
    service_account = var.mongodb_operator_service_account
  }]
  policy_json = var.backup_writer_policy_json
  tags        = var.tags
}

# Alertmanager (kube-prometheus-stack) publishes notifications to the alarm topic and nothing else.
module "alertmanager" {
  source = "../pod-identity"

  name            = "${var.name}-alertmgr"
  cluster_name    = var.cluster_name
  namespace       = var.monitoring_namespace
  service_account = var.alertmanager_service_account
  policy_json     = data.aws_iam_policy_document.alertmanager.json
  tags            = var.tags
}

data "aws_iam_policy_document" "alertmanager" {
  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [var.alarm_topic_arn]
  }
}

# Cluster Autoscaler: read everything, but resize and terminate only this cluster's node groups (tagged by EKS).
data "aws_iam_policy_document" "cluster_autoscaler" {
  statement {
    sid = "Discover"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
      "eks:DescribeNodegroup",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ScaleOwnNodeGroups"
    actions = [
      "autoscaling:SetDesiredCapacity",
      "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}"
      values   = ["owned"]
    }
  }
}
