# orderstack's own rules for infra/ that terraform validate/test, tflint and Trivy do not have,
# run by conftest (make test-infra) on every .tf, .tfvars and .tfbackend file of infra/, parsed
# as HCL and combined: input is a list of {path, contents}, a block is
# contents[type][label...] = [body], and an expression that is not a literal is the string
# "${<source>}". Tests: terraform_test.rego (conftest verify).
package main

files_in(dir) := [f | some f in input; concat("/", array.slice(split(f.path, "/"), 0, count(split(f.path, "/")) - 1)) == dir]

blocks(dir, type) := [[f.path, name, b] | some f in files_in(dir); some name, list in f.contents[type]; some b in list]

resources(dir, type) := [[f.path, name, b] | some f in files_in(dir); some name, list in f.contents.resource[type]; some b in list]

default_of(dir, var) := [b | some [_, name, b] in blocks(dir, "variable"); name == var][0].default

literal(v) if {
	is_string(v)
	not contains(v, "${")
}

refers(v, ref) if contains(sprintf("%v", [v]), ref)

secret_name(n) if regex.match(`password|secret|token|credential|private_key`, lower(n))

all_dirs contains d if {
	some f in input
	d := concat("/", array.slice(split(f.path, "/"), 0, count(split(f.path, "/")) - 1))
}

# Secrets never leave the cluster: no output is sensitive (and so, as Terraform refuses an output
# of a sensitive value not marked sensitive, no generated secret can be one), and none is named
# like a secret unless it prints a command that reads it.
deny contains sprintf("%s: output %q: sensitive outputs are not allowed (secrets never leave the cluster)", [p, n]) if {
	some d in all_dirs
	some [p, n, o] in blocks(d, "output")
	o.sensitive == true
}

deny contains sprintf("%s: output %q looks like a secret; output a command that reads it instead", [p, n]) if {
	some d in all_dirs
	some [p, n, _] in blocks(d, "output")
	secret_name(n)
	not endswith(n, "_command")
}

# Modules are local: no registry or git source, no version.
deny contains sprintf("%s: module %q: source %v is not a local path", [p, n, m.source]) if {
	some d in all_dirs
	some [p, n, m] in blocks(d, "module")
	not startswith(m.source, "./")
	not startswith(m.source, "../")
}

deny contains sprintf("%s: module %q: version is for registry modules", [p, n]) if {
	some d in all_dirs
	some [p, n, m] in blocks(d, "module")
	m.version
}

# A chart from a repository has an exact version; a chart without repository is a local path.
deny contains sprintf("%s: helm_release.%s: chart from a repository without version", [p, n]) if {
	some d in all_dirs
	some [p, n, r] in resources(d, "helm_release")
	r.repository
	not r.version
}

deny contains sprintf("%s: helm_release.%s: version %q is not exact", [p, n, r.version]) if {
	some d in all_dirs
	some [p, n, r] in resources(d, "helm_release")
	r.repository
	literal(r.version)
	not regex.match(`^[0-9]+\.[0-9]+\.[0-9]+$`, r.version)
}

deny contains sprintf("%s: helm_release.%s: chart %v without repository is not a local path", [p, n, object.get(r, "chart", null)]) if {
	some d in all_dirs
	some [p, n, r] in resources(d, "helm_release")
	not r.repository
	not local_chart(object.get(r, "chart", null))
}

local_chart(c) if startswith(c, ".")

local_chart(c) if startswith(c, "/")

local_chart(c) if startswith(c, "${")

# Every root's aws provider sets default_tags.
roots := {"infra/bootstrap", "infra/envs"}

deny contains sprintf("%s: no aws provider block", [d]) if {
	some d in roots
	count(blocks(d, "provider")) == 0
}

deny contains sprintf("%s: aws provider without default_tags", [p]) if {
	some d in roots
	some [p, "aws", b] in blocks(d, "provider")
	not b.default_tags
}

# No node group before the VPC CNI, kube-proxy and the Pod Identity agent (a node without the
# CNI never becomes Ready); terraform test cannot see depends_on.
deny contains sprintf("%s: aws_eks_node_group.%s does not wait for aws_eks_addon.%s", [p, n, a]) if {
	some [p, n, ng] in resources("infra/modules/eks", "aws_eks_node_group")
	some a in ["vpc_cni", "kube_proxy", "pod_identity_agent"]
	not refers(object.get(ng, "depends_on", []), sprintf("aws_eks_addon.%s", [a]))
}

# Each environment <env> of infra/envs is <env>.tfvars + <env>.s3.tfbackend: its state in the
# bootstrap bucket and region under its own key, encrypted, with S3 native locking; the plan
# role's state rights (terraform_state in <env>.tfvars) name that same state.
bootstrap := [f.contents | some f in input; f.path == "infra/bootstrap/terraform.tfvars"][0]

envs[env] := f.contents if {
	some f in files_in("infra/envs")
	endswith(f.path, ".tfvars")
	env := trim_suffix(substring(f.path, count("infra/envs/"), -1), ".tfvars")
}

backend(env) := [f.contents | some f in input; f.path == sprintf("infra/envs/%s.s3.tfbackend", [env])][0]

deny contains sprintf("infra/envs/%s.s3.tfbackend: missing", [env]) if {
	some env, _ in envs
	not backend(env)
}

deny contains sprintf("infra/envs/%s.s3.tfbackend: %s = %v, want %v", [env, k, object.get(backend(env), k, null), want]) if {
	some env, _ in envs
	some k, want in {
		"bucket": bootstrap.state_bucket_name, "region": bootstrap.region, "encrypt": true, "use_lockfile": true,
		"key": sprintf("orderstack/%s/terraform.tfstate", [env]),
	}
	object.get(backend(env), k, null) != want
}

deny contains sprintf("infra/envs/%s.s3.tfbackend: dynamodb_table is not needed with use_lockfile", [env]) if {
	some env, _ in envs
	backend(env).dynamodb_table
}

deny contains sprintf("infra/envs/%s.tfvars: terraform_state.%s differs from %s.s3.tfbackend's", [env, k, env]) if {
	some env, vars in envs
	some k in ["bucket", "key"]
	object.get(object.get(vars, "terraform_state", {}), k, null) != object.get(backend(env), k, "")
}

deny contains sprintf("infra/envs: backends %v, want one empty \"s3\" (the settings belong in <env>.s3.tfbackend)", [bs]) if {
	bs := [[k, b] | some f in files_in("infra/envs"); some t in object.get(f.contents, "terraform", []); some k, l in object.get(t, "backend", {}); some b in l]
	bs != [["s3", {}]]
}

# Every <env>.tfvars key is a declared root variable (Terraform only warns of an undeclared one,
# so a misspelt choice would silently fall back to its default), none looks like a secret, and
# environment is the file's name.
deny contains sprintf("infra/envs/%s.tfvars sets undeclared variable %q", [env, k]) if {
	some env, vars in envs
	some k, _ in vars
	count([n | some [_, n, _] in blocks("infra/envs", "variable"); n == k]) == 0
}

deny contains sprintf("infra/envs/%s.tfvars: %s looks like a secret; secrets never go in git", [env, k]) if {
	some env, vars in envs
	some k, _ in vars
	secret_name(k)
}

deny contains sprintf("infra/envs/%s.tfvars: environment = %v, want %q", [env, object.get(vars, "environment", null), env]) if {
	some env, vars in envs
	object.get(vars, "environment", null) != env
}

# The pod identities are bound to the service accounts the charts create. The names meet as
# literal defaults of modules/addons (which installs the charts) and modules/workload-identities
# (which binds the roles); the charts' own values are checked against addons' by terraform test
# (modules/addons/tests/mongodb.tftest.hcl).
addons := "infra/modules/addons"

identities := "infra/modules/workload-identities"

addons_alertmanager_sa := [l.alertmanager_service_account | some f in files_in(addons); some l in object.get(f.contents, "locals", []); l.alertmanager_service_account][0]

psmdb_operator := [r | some [_, "psmdb_operator", r] in resources(addons, "helm_release")][0]

deny contains sprintf("%s: %s default %v, %s has %v (%s)", [identities, v, got, addons, want, why]) if {
	some [v, want, why] in [
		["alertmanager_service_account", addons_alertmanager_sa, "local.alertmanager_service_account: kube-prometheus-stack's Alertmanager"],
		["monitoring_namespace", default_of(addons, "monitoring_namespace"), "monitoring_namespace: where Alertmanager runs"],
		["mongodb_service_account", default_of(addons, "mongodb_service_account"), "mongodb_service_account: the members of the orders-mongodb chart"],
		["mongodb_operator_service_account", psmdb_operator.name, "helm_release.psmdb_operator's name: the psmdb-operator chart names its ServiceAccount after the release"],
	]
	got := default_of(identities, v)
	got != want
}

deny contains sprintf("%s: helm_release.psmdb_operator: name %v, chart %v: the chart names its ServiceAccount after the release only when the release name is the chart's", [addons, psmdb_operator.name, psmdb_operator.chart]) if {
	psmdb_operator.name != psmdb_operator.chart
}

deny contains sprintf("%s: helm_release.psmdb_operator is not in the mongodb namespace", [addons]) if {
	not refers(psmdb_operator.namespace, "kubernetes_namespace_v1.mongodb")
}

deny contains sprintf("%s: module.alertmanager %s does not use %s", [identities, k, ref]) if {
	some [_, "alertmanager", m] in blocks(identities, "module")
	some k, ref in {"namespace": "var.monitoring_namespace", "service_account": "var.alertmanager_service_account", "policy_json": "data.aws_iam_policy_document.alertmanager"}
	not refers(object.get(m, k, null), ref)
}

# The stack hands the alarm topic to both sides and leaves the service account names to the defaults.
deny contains sprintf("infra/modules/stack: module.%s %s does not carry module.alarms.topic_arn", [name, k]) if {
	some [name, k] in [["workload_identities", "alarm_topic_arn"], ["addons", "alerting"]]
	some [_, n, m] in blocks("infra/modules/stack", "module")
	n == name
	not refers(object.get(m, k, null), "module.alarms.topic_arn")
}

deny contains sprintf("infra/modules/stack: module.workload_identities sets %s away from the chart's name", [k]) if {
	some [_, "workload_identities", m] in blocks("infra/modules/stack", "module")
	some k in ["mongodb_operator_service_account", "mongodb_service_account", "alertmanager_service_account"]
	m[k]
}
