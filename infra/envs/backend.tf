# State in the bucket made by infra/bootstrap, one key per environment. The settings are in
# <env>.s3.tfbackend (terraform init -backend-config=dev.s3.tfbackend); scripts/deploy.sh and the
# workflows pass it, with TF_DATA_DIR=.terraform/<env> so each environment keeps its own
# initialised backend (docs/infra.md). use_lockfile = S3 native locking (Terraform >= 1.10).
terraform {
  backend "s3" {}
}
