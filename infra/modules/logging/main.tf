# Container logs kept outside the cluster: Fluent Bit (aws-for-fluent-bit, a DaemonSet) tails every
# container's stdout on every node and sends it to one CloudWatch Logs group per cluster, with the
# environment's retention. Logs only: metrics stay with Prometheus, so the Container Insights
# agent of the amazon-cloudwatch-observability add-on (billed per metric observation) would only
# duplicate them (docs/operations.md "Container logs").

locals {
  service_account = "aws-for-fluent-bit"
  log_group_name  = "/aws/eks/${var.cluster_name}/containers"
}

# Created here (not by Fluent Bit) so it has a retention and Fluent Bit needs no logs:CreateLogGroup.
resource "aws_cloudwatch_log_group" "containers" {
  name              = local.log_group_name
  retention_in_days = var.retention_days

  tags = var.tags
}

# Fluent Bit may write streams of this group and nothing else.
data "aws_iam_policy_document" "fluent_bit" {
  statement {
    sid       = "WriteContainerLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.containers.arn, "${aws_cloudwatch_log_group.containers.arn}:log-stream:*"]
  }
}

# The role of Fluent Bit's service account, through EKS Pod Identity.
module "fluent_bit_identity" {
  source = "../pod-identity"

  name            = "${var.name}-logs"
  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = local.service_account
  policy_json     = data.aws_iam_policy_document.fluent_bit.json
  tags            = var.tags
}

# Fluent Bit: tails /var/log/containers/*.log, adds the Kubernetes metadata, parses each line's JSON
# (the service's access log) into the record, and writes one stream per pod and container.
resource "helm_release" "fluent_bit" {
  name       = "aws-for-fluent-bit"
  namespace  = var.namespace
  repository = "https://aws.github.io/eks-charts"
  chart      = "aws-for-fluent-bit"
  version    = var.chart_version
  wait       = true
  timeout    = 600

  # Keys of stable/aws-for-fluent-bit/values.yaml (aws/eks-charts).
  values = [yamlencode({
    serviceAccount = {
      create = true
      name   = local.service_account
    }
    filter = {
      # The JSON of a log line becomes fields of the record under `log_processed`.
      mergeLog    = "On"
      mergeLogKey = "log_processed"
      keepLog     = "Off"
    }
    cloudWatchLogs = {
      enabled          = true
      region           = var.region
      logGroupName     = local.log_group_name
      logGroupTemplate = ""
      logStreamPrefix  = "containers-"
      autoCreateGroup  = false
    }
    cloudWatch    = { enabled = false }
    firehose      = { enabled = false }
    kinesis       = { enabled = false }
    elasticsearch = { enabled = false }
    resources = {
      requests = { cpu = "50m", memory = "64Mi" }
      limits   = { memory = "256Mi" }
    }
  })]

  # The association must exist before the pods start: credentials are fetched at start.
  depends_on = [module.fluent_bit_identity]
}
