data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "pod_identity_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "developers_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = local.developer_trust
    }

    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
  }
}

data "aws_iam_policy_document" "developers" {
  statement {
    sid       = "KubeconfigForThisCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [aws_eks_cluster.this.arn]
  }
}

# Customer-managed key for envelope encryption of Kubernetes Secrets in etcd.
resource "aws_kms_key" "secrets" {
  description             = "${var.cluster_name} EKS secrets envelope encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  tags = var.tags
}

# Readable alias of the secrets key.
resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.cluster_name}-eks-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

# Control-plane log group, created before the cluster so its retention applies.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${var.cluster_name}/cluster"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

# Role the EKS control plane assumes.
resource "aws_iam_role" "cluster" {
  name_prefix        = "${var.cluster_name}-cluster-"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json

  tags = var.tags
}

# AWS-managed permissions of the EKS control plane.
resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# The EKS control plane: private endpoint, optional allow-listed public endpoint, access entries only (no aws-auth).
resource "aws_eks_cluster" "this" {
  name     = var.cluster_name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  enabled_cluster_log_types = local.control_plane_log_types

  vpc_config {
    subnet_ids              = values(var.private_subnet_ids_by_az)
    endpoint_private_access = true
    endpoint_public_access  = var.endpoint_public_access
    public_access_cidrs     = var.endpoint_public_access ? var.public_access_cidrs : null
  }

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = aws_kms_key.secrets.arn
    }
  }

  # Upgrades are explicit (docs/operations.md, "upgrade Kubernetes"): with EXTENDED support the
  # version changes only when kubernetes_version does.
  upgrade_policy {
    support_type = var.support_type
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_cloudwatch_log_group.cluster,
  ]

  lifecycle {
    precondition {
      condition     = !var.endpoint_public_access || length(var.public_access_cidrs) > 0
      error_message = "endpoint_public_access needs at least one CIDR in public_access_cidrs."
    }
  }
}

# Role of the worker nodes (kubelet, VPC CNI, image pulls, SSM shell instead of SSH).
resource "aws_iam_role" "node" {
  name_prefix        = "${var.cluster_name}-node-"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json

  tags = var.tags
}

# AWS-managed policies of the node role.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = local.node_policy_arns

  role       = aws_iam_role.node.name
  policy_arn = each.value
}

# Launch template of the nodes: IMDSv2 only with hop limit 1 (pods use Pod Identity, never the node role), encrypted gp3 root.
resource "aws_launch_template" "node" {
  name_prefix            = "${var.cluster_name}-node-"
  description            = "EKS managed nodes of ${var.cluster_name}"
  update_default_version = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.node_disk_size_gib
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  # Detailed monitoring publishes EC2 metrics per Auto Scaling group, which the node health alarm reads.
  monitoring {
    enabled = true
  }

  # The Auto Scaling group launches the instances, so default_tags never reach them: the cost
  # allocation tags are given here, or the budget (filtered by Environment) misses the nodes.
  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.propagated_tags, var.tags, { Name = "${var.cluster_name}-node" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.propagated_tags, var.tags, { Name = "${var.cluster_name}-node" })
  }

  tags = var.tags
}

# One managed node group per availability zone: EBS volumes are zonal, so the autoscaler must be able to add a node in the zone of a pending pod's volume.
resource "aws_eks_node_group" "this" {
  for_each = var.private_subnet_ids_by_az

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${var.cluster_name}-${each.key}"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = [each.value]
  version         = var.kubernetes_version
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = var.node_capacity_type
  instance_types  = var.node_instance_types

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  scaling_config {
    min_size     = var.node_min_size_per_az
    max_size     = var.node_max_size_per_az
    desired_size = var.node_min_size_per_az
  }

  update_config {
    max_unavailable = 1
  }

  labels = {
    "orderstack.io/zone" = each.key
  }

  tags = var.tags

  # Pod networking, Service routing and pod credentials are in place before the first node joins
  # (terraform-aws-eks installs such add-ons with before_compute = true): a node without the VPC
  # CNI stays NotReady, and pods scheduled before the Pod Identity agent get no credentials.
  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_eks_addon.vpc_cni,
    aws_eks_addon.kube_proxy,
    aws_eks_addon.pod_identity_agent,
  ]

  lifecycle {
    # The cluster autoscaler owns desired_size once the group exists.
    ignore_changes = [scaling_config[0].desired_size]
  }
}

# The most recent version of each add-on that EKS lists for the cluster's Kubernetes version.
data "aws_eks_addon_version" "latest" {
  for_each = local.addon_names

  addon_name         = each.value
  kubernetes_version = var.kubernetes_version
  most_recent        = true
}

# A pinned add-on that has a newer version for this Kubernetes version: a warning at plan, not an error.
check "addon_versions_current" {
  assert {
    condition     = alltrue([for k, v in var.addon_versions : v == null || v == data.aws_eks_addon_version.latest[k].version])
    error_message = "Pinned add-on versions behind the most recent for Kubernetes ${var.kubernetes_version}: ${join(", ", [for k, v in var.addon_versions : "${k} ${v} < ${data.aws_eks_addon_version.latest[k].version}" if v != null && v != data.aws_eks_addon_version.latest[k].version])}."
  }
}

# VPC CNI add-on (pod networking) with its network policy agent, so the charts' NetworkPolicies are enforced; installed before the nodes join.
resource "aws_eks_addon" "vpc_cni" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "vpc-cni"
  addon_version               = local.addon_versions["vpc_cni"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  configuration_values = jsonencode({
    enableNetworkPolicy = "true"
  })

  tags = var.tags
}

# kube-proxy add-on (Service routing on each node).
resource "aws_eks_addon" "kube_proxy" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "kube-proxy"
  addon_version               = local.addon_versions["kube_proxy"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags
}

# EKS Pod Identity agent add-on: hands pods the credentials of their pod identity association.
resource "aws_eks_addon" "pod_identity_agent" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "eks-pod-identity-agent"
  addon_version               = local.addon_versions["pod_identity_agent"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags
}

# CoreDNS add-on (cluster DNS); needs nodes to schedule on.
resource "aws_eks_addon" "coredns" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "coredns"
  addon_version               = local.addon_versions["coredns"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags

  depends_on = [aws_eks_node_group.this]
}

# metrics-server add-on: resource metrics for the app's HorizontalPodAutoscaler and kubectl top.
resource "aws_eks_addon" "metrics_server" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "metrics-server"
  addon_version               = local.addon_versions["metrics_server"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags

  depends_on = [aws_eks_node_group.this]
}

# Role of the EBS CSI controller, assumed through EKS Pod Identity.
resource "aws_iam_role" "ebs_csi" {
  name_prefix        = "${var.cluster_name}-ebs-csi-"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json

  tags = var.tags
}

# AWS-managed permissions of the EBS CSI driver (create, attach, snapshot, delete volumes).
resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.ebs_csi.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

# EBS CSI driver add-on with its pod identity association; volumes are tagged with the cluster name so teardown can find leftovers.
resource "aws_eks_addon" "ebs_csi_driver" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "aws-ebs-csi-driver"
  addon_version               = local.addon_versions["ebs_csi_driver"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  # Keys of the driver's chart values schema (charts/aws-ebs-csi-driver/values.schema.json at
  # v1.44.0, which the add-on's configuration schema follows; tests/eks.tftest.hcl asserts them):
  # k8sTagClusterId tags each volume KubernetesCluster=<name> (pre-destroy finds leftovers by it),
  # extraVolumeTags adds the cost allocation tags (--extra-tags).
  configuration_values = jsonencode({
    controller = {
      k8sTagClusterId = var.cluster_name
      extraVolumeTags = var.propagated_tags
    }
  })

  pod_identity_association {
    role_arn        = aws_iam_role.ebs_csi.arn
    service_account = "ebs-csi-controller-sa"
  }

  tags = var.tags

  depends_on = [
    aws_eks_node_group.this,
    aws_eks_addon.pod_identity_agent,
    aws_iam_role_policy_attachment.ebs_csi,
  ]
}

# Access entries of the cluster administrators and of the Terraform role (cluster-admin).
resource "aws_eks_access_entry" "admin" {
  for_each = local.admin_arns

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  type          = "STANDARD"

  tags = var.tags
}

# Grants AmazonEKSClusterAdminPolicy on the whole cluster to each administrator.
resource "aws_eks_access_policy_association" "admin" {
  for_each = local.admin_arns

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.admin[each.key].principal_arn
  policy_arn    = "${local.access_policy_prefix}/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}

# Access entry of the CI deploy role; its group gets the extra RBAC (ServiceMonitor, PrometheusRule) from the addons module.
resource "aws_eks_access_entry" "deploy" {
  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = var.deploy_role_arn
  type              = "STANDARD"
  kubernetes_groups = [local.deployer_group]

  tags = var.tags
}

# Grants AmazonEKSEditPolicy to the deploy role in the application namespace only.
resource "aws_eks_access_policy_association" "deploy" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.deploy.principal_arn
  policy_arn    = "${local.access_policy_prefix}/AmazonEKSEditPolicy"

  access_scope {
    type       = "namespace"
    namespaces = [var.app_namespace]
  }
}

# Access entry of the CI plan role (read-only Terraform plans, pull requests included).
resource "aws_eks_access_entry" "plan" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = var.plan_role_arn
  type          = "STANDARD"

  tags = var.tags
}

# Grants AmazonEKSAdminViewPolicy (view everything, Secrets included: the helm provider reads each
# release from its Secret when it refreshes) on the whole cluster, and no write.
resource "aws_eks_access_policy_association" "plan" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.plan.principal_arn
  policy_arn    = "${local.access_policy_prefix}/AmazonEKSAdminViewPolicy"

  access_scope {
    type = "cluster"
  }
}

# Role developers assume (with MFA) to reach MongoDB through kubectl port-forward.
resource "aws_iam_role" "developers" {
  name_prefix        = "${var.cluster_name}-dev-"
  assume_role_policy = data.aws_iam_policy_document.developers_assume.json

  tags = var.tags
}

# Lets developers build a kubeconfig for this cluster only.
resource "aws_iam_role_policy" "developers" {
  name   = "describe-cluster"
  role   = aws_iam_role.developers.id
  policy = data.aws_iam_policy_document.developers.json
}

# Access entry of the developers role; its Kubernetes group is bound to the port-forward Role in the MongoDB namespace.
resource "aws_eks_access_entry" "developers" {
  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = aws_iam_role.developers.arn
  type              = "STANDARD"
  kubernetes_groups = [local.developer_group]

  tags = var.tags
}

# Grants AmazonEKSViewPolicy to developers in the MongoDB namespace only (view excludes Secrets).
resource "aws_eks_access_policy_association" "developers" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.developers.principal_arn
  policy_arn    = "${local.access_policy_prefix}/AmazonEKSViewPolicy"

  access_scope {
    type       = "namespace"
    namespaces = [var.mongodb_namespace]
  }
}
