# The required variables of modules/addons besides alerting, for terraform console
# (TestAlertmanagerRouting adds alerting).
cluster_name = "orderstack-dev"
region = "eu-west-1"
vpc_id = "vpc-1"
deployer_group = "deployers"
developer_group = "developers"
chart_versions = {}
cluster_autoscaler_image_tag = "v1.33.0"
mongodb_chart_path = "chart"
kube_state_metrics_values_path = "ksm.yaml"
mongodb_operator_values_path = "operator.yaml"
mongodb_backup_bucket = "backups"
