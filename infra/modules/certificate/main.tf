# The API's TLS certificate: ACM, validated through DNS in the given Route 53 hosted zone, so ACM
# renews it by itself as long as the validation records stay. The chart's Ingress takes its ARN
# (ingress.certificateArn): the ALB then listens on 443 and redirects HTTP to HTTPS.

# The certificate of domain_name.
resource "aws_acm_certificate" "this" {
  domain_name       = var.domain_name
  validation_method = "DNS"

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# The DNS records ACM checks (one per distinct name; kept for the automatic renewals).
resource "aws_route53_record" "validation" {
  for_each = {
    for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => {
      name   = o.resource_record_name
      type   = o.resource_record_type
      record = o.resource_record_value
    }
  }

  zone_id         = var.hosted_zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.record]
  ttl             = 300
  allow_overwrite = true
}

# Waits until ACM has issued the certificate, so its ARN is only handed out once it is usable.
resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}
