# The GitHub OIDC provider is an account-level resource: only infra/bootstrap (applied once per
# account) creates it, and the environments look it up. An environment that owned it failed the
# second environment's apply (EntityAlreadyExists) and deleted the other's trust on destroy
# (issue #12, major 5). Run by conftest --combine on every .tf file of infra/ (make test-workflows).
package oidc

blocks(kind, dir) := [name |
	some f in input
	startswith(f.path, dir)
	some name, _ in object.get(object.get(f.contents, kind, {}), "aws_iam_openid_connect_provider", {})
]

deny contains sprintf("%s creates aws_iam_openid_connect_provider: only infra/bootstrap may (one per account)", [f.path]) if {
	some f in input
	f.contents.resource.aws_iam_openid_connect_provider
	not startswith(f.path, "infra/bootstrap/")
}

deny contains "infra/bootstrap does not create exactly one GitHub OIDC provider" if {
	count(blocks("resource", "infra/bootstrap/")) != 1
}

deny contains "infra/modules/iam-github does not look the provider up with data.aws_iam_openid_connect_provider" if {
	count(blocks("data", "infra/modules/iam-github/")) != 1
}
