# The MongoDB backup role reaches every process of Percona's that touches the bucket: the member
# pods' backup-agent sidecars (write backups and oplog chunks) and the operator (reads a backup's
# metadata to validate a restore, deletes old backups). Without the operator's association every
# PerconaServerMongoDBRestore fails validation and retention never deletes anything (issue 12).

mock_provider "aws" {}

variables {
  name            = "orderstack-test"
  cluster_name    = "orderstack-test"
  alarm_topic_arn = "arn:aws:sns:eu-west-1:111122223333:orderstack-test-alarms"
  backup_writer_policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = ["arn:aws:s3:::orderstack-test-backups/*"] }]
  })
}

run "members_and_operator_get_the_backup_role" {
  command = plan

  assert {
    condition     = contains(output.mongodb_backup_service_accounts, "mongodb/orders-mongodb")
    error_message = "the MongoDB member pods (mongodb/orders-mongodb) must be associated with the backup role"
  }

  assert {
    condition     = contains(output.mongodb_backup_service_accounts, "mongodb/psmdb-operator")
    error_message = "the Percona operator (mongodb/psmdb-operator) must be associated with the backup role"
  }
}

run "operator_follows_its_namespace_and_name" {
  command = plan

  variables {
    mongodb_namespace                = "db"
    mongodb_operator_service_account = "my-operator"
  }

  assert {
    condition     = output.mongodb_backup_service_accounts == ["db/orders-mongodb", "db/my-operator"]
    error_message = "the backup role's associations must follow mongodb_namespace and mongodb_operator_service_account"
  }
}
