# The backup agents' policy names this bucket (and its key) and nothing else; applied on a mocked
# aws provider so the bucket has an ARN to compare with.

mock_provider "aws" {}

variables {
  bucket_name = "orderstack-test-mongodb-backups"
  kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/test"
}

run "writer_policy" {
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.writer.statement :
      alltrue([for a in s.actions : can(regex("^(s3|kms):[A-Za-z]+$", a))]) &&
      toset(s.resources) == toset(anytrue([for a in s.actions : startswith(a, "kms:")]) ? [var.kms_key_arn] : contains(s.actions, "s3:PutObject") ? ["${aws_s3_bucket.this.arn}/*"] : [aws_s3_bucket.this.arn])
    ])
    error_message = "the writer policy: no wildcard action, objects of this bucket, the bucket itself and its key only"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.writer.statement) == 3
    error_message = "the writer policy: list the bucket, its objects, and use the bucket key"
  }
}

# Trivy has no check that a bucket refuses plain HTTP: the bucket's policy does.
run "tls_only" {
  assert {
    condition = aws_s3_bucket_policy.this.bucket == aws_s3_bucket.this.id && aws_s3_bucket_policy.this.policy == data.aws_iam_policy_document.tls_only.json && anytrue([
      for s in data.aws_iam_policy_document.tls_only.statement : s.effect == "Deny" && contains(s.actions, "s3:*") &&
      anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && toset(c.values) == toset(["false"])])
    ])
    error_message = "the bucket's policy denies every request without TLS"
  }
}
