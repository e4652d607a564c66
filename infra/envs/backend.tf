# State in the bucket made by infra/bootstrap (its state_bucket_name and region must match these).
# use_lockfile = S3 native locking (Terraform >= 1.10): a .tflock object next to the state, so no
# DynamoDB table. Bucket names are global: if this one is taken, change it here, in the other
# environment and in infra/bootstrap/terraform.tfvars.
terraform {
  backend "s3" {
    bucket       = "orderstack-tfstate-eu-west-1"
    key          = "orderstack/dev/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
