# The bootstrap root creates the state bucket, so its own (tiny) state is local: keep
# terraform.tfstate of this folder safe (it is git-ignored), or migrate it into the bucket after
# the first apply with a backend "s3" block and `terraform init -migrate-state`.
terraform {
  backend "local" {}
}
