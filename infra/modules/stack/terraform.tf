terraform {
  required_version = ">= 1.10"

  # The sub-modules state their own minimums (helm, kubernetes, random); this one uses aws directly.
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.14"
    }
  }
}
