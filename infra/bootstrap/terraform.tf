terraform {
  # 1.10+ for S3 native state locking (use_lockfile); CI installs 1.10.5, 1.11 is tested too.
  required_version = ">= 1.10.5, < 1.12.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.14.0"
    }
  }
}
