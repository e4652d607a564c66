terraform {
  # 1.10+ for S3 native state locking (use_lockfile); any later 1.x. make test checks with the
  # terraform pinned in tools/terraform (1.13), CI's setup-terraform installs the same version,
  # and scripts/preflight.sh enforces this range on the machine that deploys.
  required_version = ">= 1.10, < 2.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.14.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0.2"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38.0"
    }
    # Used by modules/addons only; the root pins every provider of the configuration.
    # tflint-ignore: terraform_unused_required_providers
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7.2"
    }
  }
}
