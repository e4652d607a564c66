# The state bucket every environment's backend.tf names. Nothing here is secret.
region            = "eu-west-1"
state_bucket_name = "orderstack-tfstate-eu-west-1"
