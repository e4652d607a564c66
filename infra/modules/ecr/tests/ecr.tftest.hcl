# The service image repository: immutable tags, scan on push, encryption and the lifecycle
# policy, on a mocked aws provider (make test-infra runs it).

mock_provider "aws" {}

variables {
  repository_name = "orderstack-test/orders"
}

run "immutable_and_scanned" {
  command = plan

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "tags must be immutable: a deploy by tag must always get the image that was tested"
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "every pushed image is scanned"
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "AES256" && !aws_ecr_repository.this.force_delete
    error_message = "default: AES256 encryption, no force_delete"
  }
}

run "kms_encryption" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == var.kms_key_arn
    error_message = "a KMS key switches the repository to KMS encryption with that key"
  }
}

run "lifecycle_policy" {
  command = plan

  variables {
    untagged_expiry_days = 3
    keep_tagged_count    = 20
  }

  assert {
    condition     = aws_ecr_lifecycle_policy.this.repository == "orderstack-test/orders"
    error_message = "the lifecycle policy applies to the module's repository"
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0] == {
      rulePriority = 1
      description  = "Expire untagged images after 3 days"
      selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 3 }
      action       = { type = "expire" }
    }
    error_message = "rule 1 expires untagged images after untagged_expiry_days, got ${aws_ecr_lifecycle_policy.this.policy}"
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1] == {
      rulePriority = 2
      description  = "Keep the last 20 tagged images"
      selection    = { tagStatus = "tagged", tagPatternList = ["*"], countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }
    error_message = "rule 2 keeps the last keep_tagged_count tagged images, got ${aws_ecr_lifecycle_policy.this.policy}"
  }

  assert {
    condition     = length(jsondecode(aws_ecr_lifecycle_policy.this.policy).rules) == 2
    error_message = "exactly the two rules"
  }
}

run "rejects_too_few_tagged_images_for_rollback" {
  command = plan

  variables {
    keep_tagged_count = 2
  }

  expect_failures = [var.keep_tagged_count]
}

run "rejects_an_invalid_repository_name" {
  command = plan

  variables {
    repository_name = "Orders"
  }

  expect_failures = [var.repository_name]
}
