locals {
  control_plane_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  # Kubernetes groups bound by RBAC objects that the addons module creates.
  deployer_group  = "orderstack:deployers"
  developer_group = "orderstack:mongodb-port-forward"

  # Static keys (the ARNs from tfvars, "terraform" for the role created in the same apply), so
  # for_each is known at plan time even while the Terraform role's ARN is not.
  admin_arns = merge({ for arn in var.admin_principal_arns : arn => arn }, { terraform = var.terraform_role_arn })

  developer_trust = length(var.developer_trusted_arns) > 0 ? var.developer_trusted_arns : ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]

  node_policy_arns = {
    worker   = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy"
    cni      = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKS_CNI_Policy"
    ecr_pull = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"
    ssm      = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
  }

  # EKS add-on names by the keys of var.addon_versions; each is pinned or the latest for the version.
  addon_names = {
    vpc_cni            = "vpc-cni"
    coredns            = "coredns"
    kube_proxy         = "kube-proxy"
    ebs_csi_driver     = "aws-ebs-csi-driver"
    pod_identity_agent = "eks-pod-identity-agent"
    metrics_server     = "metrics-server"
  }
  addon_versions = { for k, _ in local.addon_names : k => coalesce(var.addon_versions[k], data.aws_eks_addon_version.latest[k].version) }

  access_policy_prefix = "arn:${data.aws_partition.current.partition}:eks::aws:cluster-access-policy"
}
