# conftest verify: the rules of oidc.rego fire on the defects they are for.
package oidc_test

import data.oidc

provider := {"aws_iam_openid_connect_provider": {"github": [{"url": "https://token.actions.githubusercontent.com"}]}}

tree := [
	{"path": "infra/bootstrap/main.tf", "contents": {"resource": provider}},
	{"path": "infra/modules/iam-github/main.tf", "contents": {"data": provider}},
]

test_tree if count(oidc.deny) == 0 with input as tree

test_module_creates_the_provider if {
	# issue #12.5 put back: the environments' module creates the provider again
	got := oidc.deny with input as array.concat(tree, [{"path": "infra/modules/iam-github/oidc.tf", "contents": {"resource": provider}}])
	"infra/modules/iam-github/oidc.tf creates aws_iam_openid_connect_provider: only infra/bootstrap may (one per account)" in got
}

test_bootstrap_without_provider if {
	"infra/bootstrap does not create exactly one GitHub OIDC provider" in oidc.deny with input as [tree[1]]
}

test_module_without_lookup if {
	"infra/modules/iam-github does not look the provider up with data.aws_iam_openid_connect_provider" in oidc.deny with input as [tree[0]]
}
