# State in the bucket made by infra/bootstrap; bucket and region are given at init:
#   terraform init -backend-config="bucket=<state_bucket>" -backend-config="region=<region>"
# use_lockfile = S3 native locking (Terraform >= 1.10): a .tflock object next to the state, no DynamoDB table.
terraform {
  backend "s3" {
    key          = "orderstack/dev/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
