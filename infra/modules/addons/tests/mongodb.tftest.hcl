# The values Terraform gives the orders-mongodb chart (deploy/mongodb/cluster) are keys of its
# values.yaml (its schema refuses unknown keys, which would fail only at apply), and the service
# accounts the MongoDB charts create are the ones the backup role is bound to (that
# workload-identities uses these same names is infra/policy, conftest), planned on mocked
# providers. Paths are relative to this module in make test-infra's copy of infra/ and deploy/.

mock_provider "helm" {}
mock_provider "kubernetes" {}
mock_provider "random" {}

variables {
  cluster_name                   = "orderstack-test"
  region                         = "eu-west-1"
  vpc_id                         = "vpc-1"
  deployer_group                 = "deployers"
  developer_group                = "developers"
  chart_versions                 = { aws_load_balancer_controller = "1.0.0", kube_prometheus_stack = "1.0.0", cluster_autoscaler = "1.0.0", psmdb_operator = "1.0.0" }
  cluster_autoscaler_image_tag   = "v1.33.0"
  mongodb_chart_path             = "../../../deploy/mongodb/cluster"
  kube_state_metrics_values_path = "../../../deploy/mongodb/kube-state-metrics-values.yaml"
  mongodb_operator_values_path   = "../../../deploy/mongodb/operator-values.yaml"
  mongodb_backup_bucket          = "orderstack-test-backups"
  alerting                       = { sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:orderstack-test-alarms" }
  mongodb_values                 = { storageSize = "10Gi" }
}

run "mongodb_values" {
  command = plan

  assert {
    condition = length(setsubtract(keys(yamldecode(helm_release.mongodb.values[0])),
    keys(yamldecode(file("${var.mongodb_chart_path}/values.yaml"))))) == 0
    error_message = "every value given to the orders-mongodb chart must be a key of its values.yaml"
  }

  assert {
    condition     = yamldecode(helm_release.mongodb.values[0]).storageClassName != kubernetes_storage_class_v1.gp3.metadata[0].name
    error_message = "the MongoDB chart's StorageClass must not collide with Terraform's gp3 class"
  }

  assert {
    condition     = yamldecode(helm_release.mongodb.values[0]).storageSize == "10Gi"
    error_message = "mongodb_values override the module's own"
  }

  assert {
    condition     = yamldecode(file("${var.mongodb_chart_path}/values.yaml")).serviceAccountName == var.mongodb_service_account
    error_message = "the orders-mongodb chart's serviceAccountName must be mongodb_service_account (the members' backup pod identity)"
  }

  # The Percona operator reads and deletes backups in S3 itself. The psmdb-operator chart names
  # its ServiceAccount "psmdb-operator.fullname": the release name when it contains the chart's
  # name and no name override is set (percona-helm-charts charts/psmdb-operator/templates/
  # _helpers.tpl, chart 1.21.2); infra/policy holds the release name = chart name.
  assert {
    condition     = length(setintersection(keys(yamldecode(file(var.mongodb_operator_values_path))), ["nameOverride", "fullnameOverride"])) == 0 && try(yamldecode(file(var.mongodb_operator_values_path)).serviceAccount.create, true)
    error_message = "operator-values.yaml must not rename the operator's ServiceAccount nor stop the chart creating it"
  }
}
