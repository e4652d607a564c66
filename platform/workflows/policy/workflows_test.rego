# conftest verify: each rule of workflows.rego fires on the defect it is for, and a good
# workflow passes.
package workflows_test

import data.workflows

checkout := {"uses": "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd", "with": {"persist-credentials": false}}

aws := {"uses": "aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502", "with": {"role-to-assume": "${{ vars.AWS_APPLY_ROLE_ARN }}"}}

download := {"uses": "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093", "with": {"name": "tfplan-dev-${{ github.sha }}", "path": "${{ runner.temp }}/plan"}}

apply := {"run": "scripts/terraform-ci.sh apply dev \"$RUNNER_TEMP/plan\""}

job := {"timeout-minutes": 30, "environment": "dev", "permissions": {"contents": "read", "id-token": "write"}, "steps": [checkout, aws, download, apply]}

good := {
	"true": {"push": {"branches": ["main"], "paths": ["infra/**"]}},
	"permissions": {"contents": "read"},
	"concurrency": {"group": "x"},
	"jobs": {"apply": job, "comment": {"timeout-minutes": 5, "permissions": {"pull-requests": "write"}, "steps": [{"run": "echo"}]}},
}

test_good if count(workflows.deny) == 0 with input as good

test_push_and_deploy if count(workflows.deny) == 0 with input as json.patch(good, [
	{"op": "add", "path": "/jobs/apply/steps/2", "value": {"uses": "docker/build-push-action@x", "with": {"push": true}}},
	{"op": "replace", "path": "/jobs/apply/steps/1/with/role-to-assume", "value": "${{ vars.AWS_PUSH_ROLE_ARN }}"},
	{"op": "add", "path": "/jobs/apply/steps/2", "value": {"run": "make deploy-app", "env": {"PROMOTE_FROM_REPOSITORY_URL": "${{ vars.PROMOTE_FROM_REPOSITORY_URL }}"}}},
])

denied(wf, want) if {
	some msg in workflows.deny with input as wf
	contains(msg, want)
}

test_defects if {
	denied(json.patch(good, [{"op": "replace", "path": "/permissions", "value": {"contents": "write"}}]), "top-level permissions")
	denied(json.remove(good, ["concurrency"]), "no top-level concurrency group")
	denied(json.patch(good, [{"op": "replace", "path": "/jobs/apply/permissions", "value": "write-all"}]), "explicit scopes")
	denied(json.patch(good, [{"op": "remove", "path": "/jobs/apply/permissions/id-token"}]), "id-token: write is false, but the job assumes an AWS role: true")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/comment/permissions/id-token", "value": "write"}]), "id-token: write is true")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/permissions/packages", "value": "write"}]), "permission packages: write")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/comment/steps/0", "value": checkout}]), "permission pull-requests: write")
	denied(json.remove(good, ["jobs/apply/timeout-minutes"]), "job apply: timeout-minutes none")
	denied(json.patch(good, [{"op": "replace", "path": "/jobs/apply/timeout-minutes", "value": 360}]), "timeout-minutes 360")
	denied(json.remove(good, ["true/push/paths"]), "on push has no paths filter")
	denied(json.patch(good, [{"op": "replace", "path": "/jobs/apply/steps/0/with", "value": {}}]), "without persist-credentials: false")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/steps/0", "value": {"run": "echo ${{ github.head_ref }}"}}]), "contains ${{ }}")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/steps/1/with/aws-access-key-id", "value": "x"}]), "AWS keys (aws-access-key-id)")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/steps/1/with/x", "value": "${{ secrets.AWS_KEY }}"}]), "AWS keys from secrets")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/steps/0", "value": {"run": "helm upgrade --install orders deploy/helm/orders"}}]), "runs helm/kubectl itself")
	denied(json.patch(good, [{"op": "replace", "path": "/jobs/apply/steps/3/run", "value": "terraform -chdir=infra/envs apply -auto-approve"}]), "runs terraform apply itself")
	denied(json.remove(good, ["jobs/apply/environment"]), "applies dev outside the GitHub environment dev")
	denied(json.patch(good, [{"op": "replace", "path": "/jobs/apply/steps/2/with/path", "value": "${{ runner.temp }}/other"}]), "which no earlier step downloaded")
	denied(json.patch(good, [{"op": "replace", "path": "/jobs/apply/steps/2/with/name", "value": "tfplan-prod-${{ github.sha }}"}]), "which no earlier step downloaded")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/steps/2", "value": {"run": "scripts/terraform-ci.sh plan dev x"}}]), "plans and applies in one job")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/steps/0", "value": {"uses": "docker/build-push-action@x", "with": {"push": true}}}]), "builds and pushes an image without the push role")
	denied(json.patch(good, [{"op": "add", "path": "/jobs/apply/steps/0", "value": {"run": "make deploy-app ENV=\"$ENV\""}}]), "deploys without PROMOTE_FROM_REPOSITORY_URL")
}

test_tag_pushes_need_no_paths if count(workflows.deny) == 0 with input as json.patch(good, [{"op": "replace", "path": "/true/push", "value": {"tags": ["v*"]}}])
