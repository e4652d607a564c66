# The edge in front of the orders API: where the ALB writes its access logs, and the AWS WAF web
# ACL the ALB is associated with. The AWS Load Balancer Controller creates the ALB itself; the
# orders chart points it here through Ingress annotations (ingress.accessLogsBucket,
# ingress.wafv2AclArn, ingress.deletionProtection; docs/operations.md "Edge").

data "aws_caller_identity" "current" {}

# The ELB account of regions opened before August 2022, which writes the logs there (regions
# opened later use the log delivery service principal of the statement below).
data "aws_elb_service_account" "this" {}

# Bucket of the ALB access logs.
resource "aws_s3_bucket" "access_logs" {
  bucket        = var.access_logs_bucket_name
  force_destroy = var.force_destroy

  tags = var.tags
}

# Keeps overwritten or deleted log objects for a week: logs are evidence.
resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

# SSE-S3: the only server-side encryption ALB access logs support ("Enable access logs for your
# Application Load Balancer", bucket requirements).
resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Blocks every form of public access.
resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Disables ACLs: the bucket owner owns every log object.
resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Expires logs after access_logs_retention_days and aborts stale multipart uploads.
resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_logs_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

locals {
  # ELB writes to <bucket>/<prefix>/AWSLogs/<account id>/elasticloadbalancing/<region>/...
  access_logs_objects = "${aws_s3_bucket.access_logs.arn}/${var.access_logs_prefix}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"
}

data "aws_iam_policy_document" "access_logs" {
  # Regions available as of August 2022 or later: the log delivery service principal.
  statement {
    sid       = "ELBLogDelivery"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = [local.access_logs_objects]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }

  # Regions available before August 2022: the region's Elastic Load Balancing account.
  statement {
    sid       = "ELBAccountLogDelivery"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = [local.access_logs_objects]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.this.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# Lets Elastic Load Balancing write the access logs, and nobody use plain HTTP.
resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# Web ACL of the orders ALB: a per-IP rate limit, then AWS's common and known-bad-inputs rules.
resource "aws_wafv2_web_acl" "this" {
  name        = "${var.name}-orders"
  description = "orders API ALB: per-IP rate limit, AWS common and known-bad-inputs managed rules"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  # Cheapest first: a flood from one address is blocked before the managed rules run.
  rule {
    name     = "rate-limit-per-ip"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit_per_5_minutes
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-common"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 2

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-orders"
    sampled_requests_enabled   = true
  }

  tags = var.tags
}
