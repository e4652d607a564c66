# Namespace of the order service; Pod Security "restricted" is audited and warned, "baseline" enforced.
# The AWS Load Balancer Controller's webhook injects its target-health readiness gate into every pod
# created here, so a rolling update waits until the new pods are Healthy in the ALB's target group
# (target-type ip) before old ones go: no 5xx from a target group left with only initial/draining
# targets (aws-load-balancer-controller docs, deploy/pod_readiness_gate).
resource "kubernetes_namespace_v1" "app" {
  metadata {
    name = var.app_namespace
    labels = {
      "pod-security.kubernetes.io/enforce"      = "baseline"
      "pod-security.kubernetes.io/warn"         = "restricted"
      "pod-security.kubernetes.io/audit"        = "restricted"
      "elbv2.k8s.aws/pod-readiness-gate-inject" = "enabled"
    }
  }
}

# Namespace of the Percona operator and the replica set.
resource "kubernetes_namespace_v1" "mongodb" {
  metadata {
    name = var.mongodb_namespace
    labels = {
      "pod-security.kubernetes.io/enforce" = "baseline"
    }
  }
}

# Namespace of kube-prometheus-stack (node-exporter needs host access, so it stays privileged).
resource "kubernetes_namespace_v1" "monitoring" {
  metadata {
    name = var.monitoring_namespace
  }
}

# Default StorageClass: encrypted gp3 through the EBS CSI driver, bound where the pod lands (EBS is zonal).
resource "kubernetes_storage_class_v1" "gp3" {
  metadata {
    name = "gp3"
    annotations = {
      "storageclass.kubernetes.io/is-default-class" = "true"
    }
  }

  storage_provisioner    = "ebs.csi.aws.com"
  reclaim_policy         = "Delete"
  volume_binding_mode    = "WaitForFirstConsumer"
  allow_volume_expansion = true

  parameters = {
    type      = "gp3"
    encrypted = "true"
    fsType    = "ext4"
  }
}

# Extra rights of the deploy role in the app namespace that AmazonEKSEditPolicy lacks: the chart's ServiceMonitor and PrometheusRule.
resource "kubernetes_role_v1" "deployer_monitoring" {
  metadata {
    name      = "orderstack-deployer-monitoring"
    namespace = kubernetes_namespace_v1.app.metadata[0].name
  }

  rule {
    api_groups = ["monitoring.coreos.com"]
    resources  = ["servicemonitors", "podmonitors", "prometheusrules"]
    verbs      = ["get", "list", "watch", "create", "update", "patch", "delete"]
  }
}

# Binds the deploy role's Kubernetes group to its extra Role.
resource "kubernetes_role_binding_v1" "deployer_monitoring" {
  metadata {
    name      = "orderstack-deployer-monitoring"
    namespace = kubernetes_namespace_v1.app.metadata[0].name
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.deployer_monitoring.metadata[0].name
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = var.deployer_group
  }
}

# Lets developers port-forward to MongoDB pods and services (nothing else; Secrets stay unreadable).
resource "kubernetes_role_v1" "mongodb_port_forward" {
  metadata {
    name      = "mongodb-port-forward"
    namespace = kubernetes_namespace_v1.mongodb.metadata[0].name
  }

  rule {
    api_groups = [""]
    resources  = ["pods", "services"]
    verbs      = ["get", "list"]
  }

  rule {
    api_groups = [""]
    resources  = ["pods/portforward"]
    verbs      = ["create"]
  }
}

# Binds the developers' Kubernetes group (from their access entry) to the port-forward Role.
resource "kubernetes_role_binding_v1" "mongodb_port_forward" {
  metadata {
    name      = "mongodb-port-forward"
    namespace = kubernetes_namespace_v1.mongodb.metadata[0].name
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.mongodb_port_forward.metadata[0].name
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = var.developer_group
  }
}

# AWS Load Balancer Controller: turns the app's Ingress into an ALB (credentials from its pod identity).
resource "helm_release" "aws_load_balancer_controller" {
  name       = "aws-load-balancer-controller"
  namespace  = "kube-system"
  repository = "https://aws.github.io/eks-charts"
  chart      = "aws-load-balancer-controller"
  version    = var.chart_versions.aws_load_balancer_controller
  wait       = true
  timeout    = 600

  values = [yamlencode({
    clusterName  = var.cluster_name
    region       = var.region
    vpcId        = var.vpc_id
    replicaCount = 2
    serviceAccount = {
      create = true
      name   = "aws-load-balancer-controller"
    }
    # Leave Services of type LoadBalancer to their own annotations instead of taking them all over.
    enableServiceMutatorWebhook = false
    # The environment's cost allocation tags on every ALB, target group and security group it makes.
    defaultTags = var.propagated_tags
  })]
}

# Grafana's admin password; lives only in state (encrypted bucket) and in the Secret below, never in an output.
resource "random_password" "grafana_admin" {
  length  = 32
  special = false
}

# Secret Grafana reads its admin credentials from (grafana.admin.existingSecret).
resource "kubernetes_secret_v1" "grafana_admin" {
  metadata {
    name      = local.grafana_secret_name
    namespace = kubernetes_namespace_v1.monitoring.metadata[0].name
  }

  data = {
    admin-user     = "admin"
    admin-password = random_password.grafana_admin.result
  }
}

# Prometheus, Alertmanager, Grafana, node-exporter and kube-state-metrics; picks up ServiceMonitors, rules and dashboards from every namespace.
resource "helm_release" "kube_prometheus_stack" {
  name       = "kube-prometheus-stack"
  namespace  = kubernetes_namespace_v1.monitoring.metadata[0].name
  repository = "https://prometheus-community.github.io/helm-charts"
  chart      = "kube-prometheus-stack"
  version    = var.chart_versions.kube_prometheus_stack
  wait       = true
  timeout    = 900

  values = [yamlencode({
    prometheus = {
      prometheusSpec = {
        retention = var.prometheus_retention
        # Select ServiceMonitors and rules of every release, not only this chart's.
        serviceMonitorSelectorNilUsesHelmValues = false
        podMonitorSelectorNilUsesHelmValues     = false
        ruleSelectorNilUsesHelmValues           = false
        storageSpec = {
          volumeClaimTemplate = {
            spec = {
              storageClassName = kubernetes_storage_class_v1.gp3.metadata[0].name
              accessModes      = ["ReadWriteOnce"]
              resources        = { requests = { storage = var.prometheus_storage_size } }
            }
          }
        }
      }
    }
    # Alerts reach somebody: the routing of local.alertmanager_config, credentials for SNS from
    # the pod identity of this service account (workload-identities module), other receivers'
    # secrets mounted from alertmanager-receivers only when one needs them.
    alertmanager = {
      serviceAccount = { create = true, name = local.alertmanager_service_account }
      config         = local.alertmanager_config
      alertmanagerSpec = {
        secrets = local.alertmanager_needs_secret ? [local.alertmanager_secret] : []
      }
    }
    grafana = {
      admin = {
        existingSecret = kubernetes_secret_v1.grafana_admin.metadata[0].name
        userKey        = "admin-user"
        passwordKey    = "admin-password"
      }
      sidecar = {
        dashboards = {
          enabled         = true
          label           = "grafana_dashboard"
          labelValue      = "1"
          searchNamespace = "ALL"
        }
      }
    }
  }), file(var.kube_state_metrics_values_path)]

  depends_on = [helm_release.aws_load_balancer_controller]
}

# Cluster Autoscaler: one node group per zone, balanced, so a pod bound to a zonal EBS volume gets a node in that zone.
resource "helm_release" "cluster_autoscaler" {
  name       = "cluster-autoscaler"
  namespace  = "kube-system"
  repository = "https://kubernetes.github.io/autoscaler"
  chart      = "cluster-autoscaler"
  version    = var.chart_versions.cluster_autoscaler
  wait       = true
  timeout    = 600

  values = [yamlencode({
    fullnameOverride = "cluster-autoscaler"
    cloudProvider    = "aws"
    awsRegion        = var.region
    autoDiscovery = {
      clusterName = var.cluster_name
    }
    image = {
      tag = var.cluster_autoscaler_image_tag
    }
    rbac = {
      serviceAccount = {
        create = true
        name   = "cluster-autoscaler"
      }
    }
    extraArgs = {
      "balance-similar-node-groups"   = true
      "balancing-ignore-label"        = "orderstack.io/zone"
      "skip-nodes-with-system-pods"   = false
      "skip-nodes-with-local-storage" = false
      "expander"                      = "least-waste"
      "scale-down-unneeded-time"      = "10m"
    }
  })]
}

# Percona Operator for MongoDB and its CRDs, watching the mongodb namespace (values from deploy/mongodb).
resource "helm_release" "psmdb_operator" {
  name       = "psmdb-operator"
  namespace  = kubernetes_namespace_v1.mongodb.metadata[0].name
  repository = "https://percona.github.io/percona-helm-charts/"
  chart      = "psmdb-operator"
  version    = var.chart_versions.psmdb_operator
  wait       = true
  timeout    = 600

  values = [file(var.mongodb_operator_values_path)]
}

# The orders replica set (PerconaServerMongoDB rs0, three zones, PITR backups to S3) from this repository's chart.
resource "helm_release" "mongodb" {
  name      = "orders-mongodb"
  namespace = kubernetes_namespace_v1.mongodb.metadata[0].name
  chart     = var.mongodb_chart_path
  wait      = false
  timeout   = 900

  values = [yamlencode(local.mongodb_values)]

  depends_on = [
    helm_release.psmdb_operator,
    helm_release.cluster_autoscaler,
    # The chart's PodMonitor and PrometheusRule need the monitoring.coreos.com CRDs.
    helm_release.kube_prometheus_stack,
  ]
}
