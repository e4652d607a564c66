# The cluster's own rules that Trivy has no check for (make scan runs Trivy's: IMDSv2 tokens,
# secrets encryption, key rotation, control-plane logs; docs/infra.md, "Checks"), planned on a
# mocked aws provider: no AWS, no credentials.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_data "aws_eks_addon_version" {
    defaults = {
      version = "v9.9.9-eksbuild.1"
    }
  }
  mock_resource "aws_eks_cluster" {
    defaults = {
      certificate_authority = [{ data = "Y2E=" }]
    }
  }
  mock_resource "aws_eks_node_group" {
    defaults = {
      resources = [{ autoscaling_groups = [{ name = "asg" }] }]
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }
}

variables {
  cluster_name             = "orderstack-test"
  kubernetes_version       = "1.33"
  private_subnet_ids_by_az = { "eu-west-1a" = "subnet-a", "eu-west-1b" = "subnet-b" }
  public_access_cidrs      = ["203.0.113.0/24"]
  terraform_role_arn       = "arn:aws:iam::111122223333:role/terraform"
  plan_role_arn            = "arn:aws:iam::111122223333:role/plan"
  deploy_role_arn          = "arn:aws:iam::111122223333:role/deploy"
  propagated_tags          = { Environment = "test" }
}

# Applied on the mock, so the launch template has an id to compare.
run "nodes" {
  assert {
    condition     = alltrue([for ng in aws_eks_node_group.this : one(ng.launch_template).id == aws_launch_template.node.id])
    error_message = "every node group is launched from the hardened launch template"
  }

  assert {
    condition     = one(aws_launch_template.node.metadata_options).http_put_response_hop_limit == 1
    error_message = "IMDS hop limit must be 1: pods use Pod Identity and must never reach the node role"
  }

  assert {
    condition = alltrue([for b in aws_launch_template.node.block_device_mappings :
    one(b.ebs).encrypted == "true" && one(b.ebs).volume_type == "gp3"])
    error_message = "node root volumes are encrypted gp3 (Trivy checks launch configurations, not launch templates)"
  }

  assert {
    condition     = { for az, ng in aws_eks_node_group.this : az => ng.subnet_ids } == { for az, id in var.private_subnet_ids_by_az : az => toset([id]) }
    error_message = "one node group per zone, each in that zone's private subnet only"
  }
}

run "cluster_access" {
  command = plan

  assert {
    condition     = one(aws_eks_cluster.this.access_config).authentication_mode == "API" && !one(aws_eks_cluster.this.access_config).bootstrap_cluster_creator_admin_permissions
    error_message = "access entries only (authentication_mode API), and no implicit cluster-admin for whoever creates the cluster"
  }

  assert {
    condition     = one(aws_eks_cluster.this.vpc_config).endpoint_private_access
    error_message = "the private API endpoint is always on (nodes reach the control plane inside the VPC)"
  }
}

run "addons" {
  command = plan

  variables {
    addon_versions = { vpc_cni = "v1.20.0-eksbuild.1" }
  }

  # A pin behind the most recent version is reported (a warning in a real plan).
  expect_failures = [check.addon_versions_current]

  assert {
    condition     = aws_eks_addon.vpc_cni.addon_version == "v1.20.0-eksbuild.1" && aws_eks_addon.coredns.addon_version == "v9.9.9-eksbuild.1"
    error_message = "an add-on gets its pin, or else the most recent version EKS lists for the Kubernetes version"
  }

  assert {
    condition     = jsondecode(aws_eks_addon.ebs_csi_driver.configuration_values).controller == { k8sTagClusterId = "orderstack-test", extraVolumeTags = { Environment = "test" } }
    error_message = "the EBS CSI driver tags volumes with the cluster (pre-destroy finds leftovers by it) and the cost allocation tags"
  }
}
