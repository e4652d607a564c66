variable "cluster_name" {
  description = "Name of the EKS cluster, e.g. orderstack-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3-40 lowercase letters, digits or hyphens."
  }
}

variable "kubernetes_version" {
  description = "Pinned Kubernetes minor version of the control plane and nodes, e.g. \"1.33\". Raise one minor at a time."
  type        = string

  validation {
    condition     = can(regex("^1\\.(3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version 1.30 or later, like \"1.33\" (1.30+ no longer marks gp2 as the default StorageClass, which the addons module relies on)."
  }
}

variable "private_subnet_ids_by_az" {
  description = "Private subnet ID per availability zone; the control plane ENIs and one node group per zone go there."
  type        = map(string)

  validation {
    condition     = length(var.private_subnet_ids_by_az) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API on a public endpoint (restricted to public_access_cidrs) in addition to the private one."
  type        = bool
  default     = true
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint. GitHub-hosted runners have no fixed addresses, so CI needs a wide list or a self-hosted runner in the VPC; the API still requires IAM authentication."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "public_access_cidrs must hold valid IPv4 CIDRs."
  }
}

variable "log_retention_days" {
  description = "Retention of the control-plane log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "node_instance_types" {
  description = "EC2 instance types of the nodes (x86_64, AL2023 AMI)."
  type        = list(string)
  default     = ["m6i.large"]

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "node_instance_types needs at least one instance type."
  }
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size_per_az" {
  description = "Minimum nodes in each zone's node group (at least 1, so the cluster autoscaler always has a template node per zone)."
  type        = number
  default     = 1

  validation {
    condition     = var.node_min_size_per_az >= 1
    error_message = "node_min_size_per_az must be at least 1."
  }
}

variable "node_max_size_per_az" {
  description = "Maximum nodes in each zone's node group; the cluster autoscaler scales between min and max."
  type        = number
  default     = 3

  validation {
    condition     = var.node_max_size_per_az >= var.node_min_size_per_az
    error_message = "node_max_size_per_az must be at least node_min_size_per_az."
  }
}

variable "node_disk_size_gib" {
  description = "Size of each node's gp3 root volume, in GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.node_disk_size_gib >= 20 && var.node_disk_size_gib <= 1000
    error_message = "node_disk_size_gib must be between 20 and 1000."
  }
}

variable "admin_principal_arns" {
  description = "IAM principal ARNs (roles or users, not assumed-role session ARNs) that get cluster-admin. Whoever runs the first apply must be here or be the terraform role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "admin_principal_arns must be IAM role or user ARNs."
  }
}

variable "terraform_role_arn" {
  description = "ARN of the GitHub Actions role that runs Terraform; it gets cluster-admin to manage the Helm releases."
  type        = string
}

variable "plan_role_arn" {
  description = "ARN of the GitHub Actions read-only plan role; it gets a view-only access entry (AmazonEKSAdminViewPolicy)."
  type        = string
}

variable "deploy_role_arn" {
  description = "ARN of the GitHub Actions deploy role; it gets edit rights in app_namespace only."
  type        = string
}

variable "app_namespace" {
  description = "Kubernetes namespace of the application; the deploy role is scoped to it."
  type        = string
  default     = "orders"
}

variable "mongodb_namespace" {
  description = "Kubernetes namespace of MongoDB; the developers role may view it and port-forward into it."
  type        = string
  default     = "mongodb"
}

variable "developer_trusted_arns" {
  description = "Principals that may assume the developers role (with MFA). Empty: the account root, i.e. any IAM principal of the account whose own policy allows sts:AssumeRole on it."
  type        = list(string)
  default     = []
}

variable "addon_versions" {
  description = "EKS add-on versions to pin, each optional. An add-on left unset gets the most recent version EKS lists for kubernetes_version (data aws_eks_addon_version, resolved at every plan), so raising kubernetes_version brings compatible add-ons along; a pinned one that is no longer the most recent shows a warning (check addon_versions_current). List them with `aws eks describe-addon-versions --kubernetes-version 1.33 --addon-name NAME`."
  type = object({
    vpc_cni            = optional(string)
    coredns            = optional(string)
    kube_proxy         = optional(string)
    ebs_csi_driver     = optional(string)
    pod_identity_agent = optional(string)
    metrics_server     = optional(string)
  })
  default = {}

  validation {
    condition     = alltrue([for v in values(var.addon_versions) : v == null || can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", v))])
    error_message = "Each pinned add-on version must look like v1.2.3-eksbuild.1."
  }
}

variable "support_type" {
  description = "EKS upgrade policy. EXTENDED: the control plane stays on kubernetes_version until you raise it (billed at the extended-support rate once standard support of that version ends, which the budget shows). STANDARD: AWS upgrades the control plane itself when standard support ends, after which this configuration's older kubernetes_version asks for a downgrade EKS refuses, until you raise it."
  type        = string
  default     = "EXTENDED"

  validation {
    condition     = contains(["STANDARD", "EXTENDED"], var.support_type)
    error_message = "support_type must be STANDARD or EXTENDED."
  }
}

variable "propagated_tags" {
  description = "Tags (the environment's cost allocation tags) for what AWS creates outside Terraform on the cluster's behalf and the providers' default_tags never reach: node instances and root volumes (launch template) and the EBS CSI driver's volumes."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags added to every resource on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
