locals {
  bucket_name = "${var.project}-tfstate-${data.aws_caller_identity.current.account_id}-${var.region}"

  tags = {
    Project   = var.project
    ManagedBy = "terraform"
    Component = "terraform-state"
  }
}
