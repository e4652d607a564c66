locals {
  grafana_secret_name = "grafana-admin"

  # Alertmanager's routing (kube-prometheus-stack alertmanager.config, which replaces the chart's
  # default `null` receiver). Every key of the chart's default config is set here, so what
  # platform/terraform renders (terraform console) and checks with amtool is what Alertmanager loads.
  alertmanager_service_account = "alertmanager"
  alertmanager_secret          = "alertmanager-receivers"
  alertmanager_secret_dir      = "/etc/alertmanager/secrets/alertmanager-receivers"
  alertmanager_needs_secret    = var.alerting.slack_channel != null || var.alerting.pagerduty || var.alerting.email_username != null

  # Where a notified alert goes: the SNS topic always (Alertmanager signs with the pod identity's
  # credentials, AWS SDK default chain; sns_configs of prometheus.io/docs/alerting/latest/configuration),
  # Slack and SMTP when set. SNS e-mail subjects are limited to 100 characters, so the subject is short.
  alertmanager_notify = {
    sns_configs = [{
      topic_arn     = var.alerting.sns_topic_arn
      sigv4         = { region = var.region }
      subject       = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})"
      send_resolved = true
    }]
    slack_configs = var.alerting.slack_channel == null ? [] : [{
      api_url_file  = "${local.alertmanager_secret_dir}/slack-webhook-url"
      channel       = var.alerting.slack_channel
      send_resolved = true
    }]
    email_configs = var.alerting.email_to == null ? [] : [merge({
      to            = var.alerting.email_to
      from          = var.alerting.email_from
      smarthost     = var.alerting.email_smarthost
      send_resolved = true
      }, var.alerting.email_username == null ? {} : {
      auth_username      = var.alerting.email_username
      auth_password_file = "${local.alertmanager_secret_dir}/smtp-password"
    })]
  }

  alertmanager_config = {
    global = { resolve_timeout = "5m" }
    # The chart's defaults: a critical alert silences its warning/info twins in the same namespace.
    inhibit_rules = [
      { source_matchers = ["severity = critical"], target_matchers = ["severity =~ warning|info"], equal = ["namespace", "alertname"] },
      { source_matchers = ["severity = warning"], target_matchers = ["severity = info"], equal = ["namespace", "alertname"] },
      { source_matchers = ["alertname = InfoInhibitor"], target_matchers = ["severity = info"], equal = ["namespace"] },
      { target_matchers = ["alertname = InfoInhibitor"] },
    ]
    route = {
      receiver        = "notify"
      group_by        = ["namespace", "alertname"]
      group_wait      = "30s"
      group_interval  = "5m"
      repeat_interval = "12h"
      routes = concat([
        # Watchdog always fires (a dead man's switch for an external checker); InfoInhibitor only inhibits.
        { receiver = "null", matchers = ["alertname = Watchdog"] },
        { receiver = "null", matchers = ["alertname = InfoInhibitor"] },
      ], var.alerting.pagerduty ? [{ receiver = "page", matchers = ["severity = critical"] }] : [])
    }
    receivers = concat([
      { name = "null" },
      merge({ name = "notify" }, local.alertmanager_notify),
      ], var.alerting.pagerduty ? [merge({ name = "page" }, local.alertmanager_notify, {
        pagerduty_configs                       = [{ routing_key_file = "${local.alertmanager_secret_dir}/pagerduty-routing-key", send_resolved = true }]
    })] : [])
    templates = ["/etc/alertmanager/config/*.tmpl"]
  }

  # gp3 is the cluster default; MongoDB data gets its own class with reclaimPolicy Retain, created by its chart.
  mongodb_storage_class = "gp3-retain"

  mongodb_values = merge({
    backupBucket       = var.mongodb_backup_bucket
    backupRegion       = var.region
    serviceAccountName = var.mongodb_service_account
    storageClassName   = local.mongodb_storage_class
    createStorageClass = true
  }, var.mongodb_values)
}
