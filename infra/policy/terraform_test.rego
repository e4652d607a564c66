# conftest verify: each rule of terraform.rego passes a small valid tree and names the problem in
# a tree broken in one place (input as conftest gives it: --combine of HCL files).
package main

valid := [
	{"path": "infra/bootstrap/providers.tf", "contents": {"provider": {"aws": [{"region": "${var.region}", "default_tags": [{"tags": "${local.tags}"}]}]}}},
	{"path": "infra/bootstrap/terraform.tfvars", "contents": {"region": "eu-west-1", "state_bucket_name": "state"}},
	{"path": "infra/envs/providers.tf", "contents": {"provider": {"aws": [{"default_tags": [{"tags": "${module.stack.tags}"}]}]}}},
	{"path": "infra/envs/backend.tf", "contents": {"terraform": [{"backend": {"s3": [{}]}}]}},
	{"path": "infra/envs/variables.tf", "contents": {"variable": {"environment": [{"type": "${string}"}], "terraform_state": [{}]}}},
	{"path": "infra/envs/outputs.tf", "contents": {"output": {"grafana_password_command": [{"value": "${module.stack.x}"}]}}},
	{"path": "infra/envs/main.tf", "contents": {"module": {"stack": [{"source": "../modules/stack"}]}}},
	{"path": "infra/envs/dev.tfvars", "contents": {"environment": "dev", "terraform_state": {"bucket": "state", "key": "orderstack/dev/terraform.tfstate"}}},
	{"path": "infra/envs/dev.s3.tfbackend", "contents": {"bucket": "state", "region": "eu-west-1", "key": "orderstack/dev/terraform.tfstate", "encrypt": true, "use_lockfile": true}},
	{"path": "infra/modules/eks/main.tf", "contents": {"resource": {"aws_eks_node_group": {"this": [{"depends_on": ["${aws_iam_role_policy_attachment.node}", "${aws_eks_addon.vpc_cni}", "${aws_eks_addon.kube_proxy}", "${aws_eks_addon.pod_identity_agent}"]}]}}}},
	{"path": "infra/modules/addons/locals.tf", "contents": {"locals": [{"alertmanager_service_account": "alertmanager"}]}},
	{"path": "infra/modules/addons/variables.tf", "contents": {"variable": {"monitoring_namespace": [{"default": "monitoring"}], "mongodb_service_account": [{"default": "orders-mongodb"}]}}},
	{"path": "infra/modules/addons/main.tf", "contents": {"resource": {"helm_release": {
		"psmdb_operator": [{"name": "psmdb-operator", "chart": "psmdb-operator", "repository": "https://charts.example", "version": "${var.chart_versions.psmdb_operator}", "namespace": "${kubernetes_namespace_v1.mongodb.metadata[0].name}"}],
		"pinned": [{"name": "x", "chart": "x", "repository": "https://charts.example", "version": "1.2.3"}],
		"mongodb": [{"name": "orders-mongodb", "chart": "${var.mongodb_chart_path}"}],
	}}}},
	{"path": "infra/modules/workload-identities/variables.tf", "contents": {"variable": {
		"alertmanager_service_account": [{"default": "alertmanager"}], "monitoring_namespace": [{"default": "monitoring"}],
		"mongodb_service_account": [{"default": "orders-mongodb"}], "mongodb_operator_service_account": [{"default": "psmdb-operator"}],
	}}},
	{"path": "infra/modules/workload-identities/main.tf", "contents": {"module": {"alertmanager": [{"source": "../pod-identity", "namespace": "${var.monitoring_namespace}", "service_account": "${var.alertmanager_service_account}", "policy_json": "${data.aws_iam_policy_document.alertmanager.json}"}]}}},
	{"path": "infra/modules/stack/main.tf", "contents": {"module": {
		"workload_identities": [{"source": "../workload-identities", "alarm_topic_arn": "${module.alarms.topic_arn}"}],
		"addons": [{"source": "../addons", "alerting": "${merge(var.alert_receivers, { sns_topic_arn = module.alarms.topic_arn })}"}],
	}}},
]

# with_file replaces (or adds) the contents of one file of valid.
with_file(path, contents) := array.concat([f | some f in valid; f.path != path], [{"path": path, "contents": contents}])

without_file(path) := [f | some f in valid; f.path != path]

test_valid_tree_passes if {
	count(deny) == 0 with input as valid
}

denies(tree, want) if {
	some m in deny with input as tree
	contains(m, want)
}

test_sensitive_output if denies(with_file("infra/modules/x/outputs.tf", {"output": {"x": [{"value": 1, "sensitive": true}]}}), "sensitive outputs are not allowed")

test_secret_named_output if denies(with_file("infra/modules/x/outputs.tf", {"output": {"grafana_password": [{"value": "a"}]}}), "looks like a secret")

test_registry_module if denies(with_file("infra/envs/main.tf", {"module": {"stack": [{"source": "terraform-aws-modules/vpc/aws"}]}}), "is not a local path")

test_module_version if denies(with_file("infra/envs/main.tf", {"module": {"stack": [{"source": "../modules/stack", "version": "5.0.0"}]}}), "version is for registry modules")

test_unpinned_chart if denies(with_file("infra/modules/y/main.tf", {"resource": {"helm_release": {"x": [{"chart": "x", "repository": "https://charts.example"}]}}}), "without version")

test_range_chart_version if denies(with_file("infra/modules/y/main.tf", {"resource": {"helm_release": {"x": [{"chart": "x", "repository": "https://charts.example", "version": "~1.2"}]}}}), "is not exact")

test_chart_without_repository if denies(with_file("infra/modules/y/main.tf", {"resource": {"helm_release": {"x": [{"chart": "stable/x"}]}}}), "without repository is not a local path")

test_no_default_tags if denies(with_file("infra/envs/providers.tf", {"provider": {"aws": [{"region": "eu-west-1"}]}}), "aws provider without default_tags")

test_root_without_aws_provider if denies(without_file("infra/bootstrap/providers.tf"), "infra/bootstrap: no aws provider block")

test_node_group_before_cni if denies(with_file("infra/modules/eks/main.tf", {"resource": {"aws_eks_node_group": {"this": [{"depends_on": ["${aws_eks_addon.vpc_cni}", "${aws_eks_addon.kube_proxy}"]}]}}}), "does not wait for aws_eks_addon.pod_identity_agent")

test_backend_missing if denies(without_file("infra/envs/dev.s3.tfbackend"), "dev.s3.tfbackend: missing")

test_backend_settings if {
	be := {"bucket": "other", "region": "eu-west-1", "key": "orderstack/prod/terraform.tfstate", "encrypt": false, "use_lockfile": true, "dynamodb_table": "locks"}
	tree := with_file("infra/envs/dev.s3.tfbackend", be)
	denies(tree, "bucket = other, want state")
	denies(tree, "key = orderstack/prod/terraform.tfstate")
	denies(tree, "encrypt = false, want true")
	denies(tree, "dynamodb_table is not needed")
	denies(tree, "terraform_state.bucket differs")
}

test_backend_block_with_settings if denies(with_file("infra/envs/backend.tf", {"terraform": [{"backend": {"s3": [{"bucket": "state"}]}}]}), "want one empty \"s3\"")

test_undeclared_and_secret_tfvars if {
	vars := {"environment": "prod", "terraform_state": {"bucket": "state", "key": "orderstack/dev/terraform.tfstate"}, "nat_gateway": 1, "admin_token": "x"}
	tree := with_file("infra/envs/dev.tfvars", vars)
	denies(tree, "sets undeclared variable \"nat_gateway\"")
	denies(tree, "admin_token looks like a secret")
	denies(tree, "environment = prod, want \"dev\"")
}

test_service_account_names_differ if {
	tree := with_file("infra/modules/workload-identities/variables.tf", {"variable": {
		"alertmanager_service_account": [{"default": "kube-prometheus-stack-alertmanager"}], "monitoring_namespace": [{"default": "monitoring"}],
		"mongodb_service_account": [{"default": "mongodb"}], "mongodb_operator_service_account": [{"default": "percona-operator"}],
	}})
	denies(tree, "alertmanager_service_account default kube-prometheus-stack-alertmanager")
	denies(tree, "mongodb_service_account default mongodb")
	denies(tree, "mongodb_operator_service_account default percona-operator")
}

test_operator_release if {
	tree := with_file("infra/modules/addons/main.tf", {"resource": {"helm_release": {"psmdb_operator": [{"name": "operator", "chart": "psmdb-operator", "repository": "https://charts.example", "version": "1.0.0", "namespace": "kube-system"}]}}})
	denies(tree, "name operator, chart psmdb-operator")
	denies(tree, "not in the mongodb namespace")
}

test_alertmanager_identity_wiring if denies(with_file("infra/modules/workload-identities/main.tf", {"module": {"alertmanager": [{"source": "../pod-identity", "namespace": "monitoring", "service_account": "${var.alertmanager_service_account}", "policy_json": "${data.aws_iam_policy_document.other.json}"}]}}), "policy_json does not use data.aws_iam_policy_document.alertmanager")

test_stack_wiring if {
	tree := with_file("infra/modules/stack/main.tf", {"module": {
		"workload_identities": [{"source": "../workload-identities", "alarm_topic_arn": "${var.topic}", "mongodb_service_account": "x"}],
		"addons": [{"source": "../addons", "alerting": "${var.alert_receivers}"}],
	}})
	denies(tree, "module.workload_identities alarm_topic_arn does not carry")
	denies(tree, "module.addons alerting does not carry")
	denies(tree, "sets mongodb_service_account away")
}
