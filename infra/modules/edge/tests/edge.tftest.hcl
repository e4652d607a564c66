# The access-log bucket is one ELB can write to (its log delivery principals, under the prefix the
# chart gives the ALB), SSE-S3 (the only encryption ALB access logs support), expiring; the web
# ACL blocks by rate per client IP first, then runs the two AWS managed rule groups (issue 17).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_data "aws_elb_service_account" {
    defaults = {
      arn = "arn:aws:iam::156460612806:root"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{}"
    }
  }
}

variables {
  name                    = "orderstack-dev"
  access_logs_bucket_name = "orderstack-dev-alb-logs-111122223333"
}

run "bucket_encrypted_with_sse_s3_and_expiring" {
  command = plan

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.access_logs.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "ALB access logs support only SSE-S3 (AES256)"
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.access_logs.rule).expiration).days == 90
    error_message = "access logs must expire after access_logs_retention_days"
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.access_logs.block_public_policy && aws_s3_bucket_public_access_block.access_logs.restrict_public_buckets
    error_message = "the access-log bucket must block public access"
  }
}

run "log_delivery_may_write_under_the_prefix" {
  command = plan

  override_resource {
    target          = aws_s3_bucket.access_logs
    override_during = plan
    values = {
      id  = "orderstack-dev-alb-logs-111122223333"
      arn = "arn:aws:s3:::orderstack-dev-alb-logs-111122223333"
    }
  }

  assert {
    condition     = contains([for s in data.aws_iam_policy_document.access_logs.statement : one(s.principals).identifiers if s.sid == "ELBLogDelivery"], toset(["logdelivery.elasticloadbalancing.amazonaws.com"]))
    error_message = "the bucket policy must let logdelivery.elasticloadbalancing.amazonaws.com write"
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.access_logs.statement :
    s.resources == toset(["arn:aws:s3:::orderstack-dev-alb-logs-111122223333/alb/AWSLogs/111122223333/*"]) if s.effect == "Allow"])
    error_message = "log delivery may write only under <prefix>/AWSLogs/<account>/"
  }
}

run "web_acl_rate_limit_then_managed_rules" {
  command = plan

  variables {
    rate_limit_per_5_minutes = 500
  }

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "REGIONAL"
    error_message = "an ALB's web ACL must be REGIONAL"
  }

  assert {
    condition     = [for r in sort([for r in aws_wafv2_web_acl.this.rule : format("%d %s", r.priority, r.name)]) : r] == ["0 rate-limit-per-ip", "1 aws-common", "2 aws-known-bad-inputs"]
    error_message = "rules must be: rate limit (0), common (1), known bad inputs (2)"
  }

  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : one(one(r.statement).rate_based_statement) if r.name == "rate-limit-per-ip"]).limit == 500 && one([for r in aws_wafv2_web_acl.this.rule : one(one(r.statement).rate_based_statement) if r.name == "rate-limit-per-ip"]).aggregate_key_type == "IP"
    error_message = "the rate limit must count per client IP, at rate_limit_per_5_minutes"
  }

  assert {
    condition     = toset([for r in aws_wafv2_web_acl.this.rule : one(one(r.statement).managed_rule_group_statement).name if r.name != "rate-limit-per-ip"]) == toset(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    error_message = "the web ACL must run the AWS common and known-bad-inputs rule groups"
  }
}

run "rate_limit_below_aws_minimum_refused" {
  command = plan

  variables {
    rate_limit_per_5_minutes = 5
  }

  expect_failures = [var.rate_limit_per_5_minutes]
}

# Trivy has no check that a bucket refuses plain HTTP: the bucket's policy does.
run "log_bucket_tls_only" {
  assert {
    condition = aws_s3_bucket_policy.access_logs.bucket == aws_s3_bucket.access_logs.id && aws_s3_bucket_policy.access_logs.policy == data.aws_iam_policy_document.access_logs.json && anytrue([
      for s in data.aws_iam_policy_document.access_logs.statement : s.effect == "Deny" && contains(s.actions, "s3:*") &&
      anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && toset(c.values) == toset(["false"])])
    ])
    error_message = "the log bucket's policy denies every request without TLS"
  }
}
