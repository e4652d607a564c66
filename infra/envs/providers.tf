# Providers live in the root, never in modules/stack: the stack gives them what they need (tags,
# cluster endpoint and CA) as outputs.
provider "aws" {
  region = var.region

  default_tags {
    tags = module.stack.tags
  }
}

# The Kubernetes and Helm providers reach the cluster the stack creates, authenticating as the
# caller's IAM identity (which needs an access entry: the terraform role or an admin_principal_arns entry).
provider "kubernetes" {
  host                   = module.stack.cluster_endpoint
  cluster_ca_certificate = base64decode(module.stack.cluster_certificate_authority_data)

  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "aws"
    args        = ["eks", "get-token", "--cluster-name", module.stack.cluster_name, "--region", var.region]
  }
}

provider "helm" {
  kubernetes = {
    host                   = module.stack.cluster_endpoint
    cluster_ca_certificate = base64decode(module.stack.cluster_certificate_authority_data)

    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.stack.cluster_name, "--region", var.region]
    }
  }
}
