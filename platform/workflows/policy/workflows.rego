# The repository's rules for GitHub Actions workflows, run by conftest on each file of
# .github/workflows (make test-workflows; docs/cicd.md). actionlint checks the syntax and types;
# these are the project's least-privilege, OIDC-only and apply-the-reviewed-plan rules.
package workflows

# sigs.k8s.io/yaml reads the key `on` as the boolean true (YAML 1.1).
triggers := object.get(input, "on", object.get(input, "true", {}))

jobs := object.get(input, "jobs", {})

uses(step, action) if startswith(object.get(step, "uses", ""), concat("", [action, "@"]))

default assumes_role(_) := false

assumes_role(job) if {
	some step in job.steps
	uses(step, "aws-actions/configure-aws-credentials")
}

deny contains "top-level permissions must be exactly contents: read" if {
	input.permissions != {"contents": "read"}
}

deny contains "no top-level concurrency group" if not input.concurrency.group

deny contains sprintf("job %s: permissions must be explicit scopes, not %v", [id, job.permissions]) if {
	some id, job in jobs
	is_string(job.permissions)
}

# id-token: write where, and only where, an AWS role is assumed.
deny contains sprintf("job %s: id-token: write is %v, but the job assumes an AWS role: %v", [id, asks, needs]) if {
	some id, job in jobs
	asks := object.get(object.get(job, "permissions", {}), "id-token", "") == "write"
	needs := assumes_role(job)
	asks != needs
}

# Beyond contents: read and id-token: write only pull-requests: write, in a job that neither
# assumes a role nor checks out code (it only posts a summary on the pull request).
deny contains sprintf("job %s: permission %s: %s, want only contents: read and id-token: write", [id, scope, level]) if {
	some id, job in jobs
	some scope, level in object.get(job, "permissions", {})
	not {"contents": "read", "id-token": "write"}[scope] == level
	not commenter(job, scope, level)
}

commenter(job, "pull-requests", "write") if {
	not assumes_role(job)
	not any_uses(job, "actions/checkout")
}

any_uses(job, action) if {
	some step in job.steps
	uses(step, action)
}

deny contains sprintf("job %s: timeout-minutes %v, want 1..60", [id, object.get(job, "timeout-minutes", "none")]) if {
	some id, job in jobs
	not job.uses # a reusable workflow call cannot have one; its jobs do
	not valid_timeout(job)
}

valid_timeout(job) if {
	job["timeout-minutes"] >= 1
	job["timeout-minutes"] <= 60
}

# push and pull_request name their paths, so a docs change deploys nothing (tag pushes cannot).
deny contains sprintf("on %s has no paths filter", [event]) if {
	some event in ["push", "pull_request"]
	is_object(triggers)
	on := triggers[event]
	not on.paths
	not on["paths-ignore"]
	not tags_only(event, on)
}

tags_only("push", on) if {
	on.tags
	not on.branches
	not on["branches-ignore"]
}

deny contains sprintf("job %s: actions/checkout without persist-credentials: false", [id]) if {
	some id, job in jobs
	some step in job.steps
	uses(step, "actions/checkout")
	object.get(object.get(step, "with", {}), "persist-credentials", true) != false
}

# Values reach run: scripts through env:, never pasted in, so no branch name or input injects shell.
deny contains sprintf("job %s: a run: script contains ${{ }}; pass the value through env:", [id]) if {
	some id, job in jobs
	some step in job.steps
	contains(object.get(step, "run", ""), "${{")
}

# AWS only through OIDC roles.
deny contains sprintf("job %s: AWS keys (%s): use an OIDC role", [id, key]) if {
	some id, job in jobs
	some step in job.steps
	some key, _ in object.union(object.get(step, "with", {}), object.get(step, "env", {}))
	lower(key) in {"aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
}

deny contains "AWS keys from secrets: use an OIDC role" if {
	walk(input, [_, v])
	is_string(v)
	regex.match(`secrets\.AWS_|AKIA[0-9A-Z]{16}`, v)
}

# Deploys go through the scripts (make deploy-app: Helm by digest, helm test, rollback).
deny contains sprintf("job %s runs helm/kubectl itself; deploy through make deploy-app", [id]) if {
	some id, job in jobs
	some step in job.steps
	regex.match(`\b(helm\s+(upgrade|install|rollback)|kubectl\s+(apply|set|patch|rollout))\b`, object.get(step, "run", ""))
}

# Terraform applies only through scripts/terraform-ci.sh apply ENV DIR, in the GitHub environment
# ENV, from DIR that an earlier step downloaded as this commit's plan artifact of ENV, in a job that
# plans nothing itself.
apply_re := `scripts/terraform-ci\.sh\s+apply\s+(\S+)\s+(\S+)`

deny contains sprintf("job %s runs terraform %s itself; plans and applies go through scripts/terraform-ci.sh", [id, m[1]]) if {
	some id, job in jobs
	some step in job.steps
	some m in regex.find_all_string_submatch_n(`(?m)\bterraform\b[^\n]*\s(apply|plan)\b`, replace(object.get(step, "run", ""), "terraform-ci.sh", "ci"), -1)
}

applies contains [id, i, m[1], trim(m[2], `"`)] if {
	some id, job in jobs
	some i, step in job.steps
	some m in regex.find_all_string_submatch_n(apply_re, object.get(step, "run", ""), -1)
}

deny contains sprintf("job %s applies %s outside the GitHub environment %s", [id, env, env]) if {
	some [id, _, env, _] in applies
	object.get(jobs[id], "environment", "") != env
}

deny contains sprintf("job %s applies %s, which no earlier step downloaded as tfplan-%s-${{ github.sha }}", [id, dir, env]) if {
	some [id, i, env, dir] in applies
	not downloaded(jobs[id], i, env, dir)
}

deny contains sprintf("job %s plans and applies in one job: the apply must consume the reviewed plan artifact", [id]) if {
	some [id, _, _, _] in applies
	some step in jobs[id].steps
	regex.match(`scripts/terraform-ci\.sh\s+plan\b`, object.get(step, "run", ""))
}

downloaded(job, i, env, dir) if {
	some j, step in job.steps
	j < i
	uses(step, "actions/download-artifact")
	step["with"].name == sprintf("tfplan-%s-${{ github.sha }}", [env])
	replace(step["with"].path, "${{ runner.temp }}", "$RUNNER_TEMP") == dir
}

# Images are built once, by the role that may push (AWS_PUSH_ROLE_ARN, which only an environment
# that builds has: checkTrustExact); other environments promote the tested digest, so every
# deploy passes PROMOTE_FROM_REPOSITORY_URL (empty where the environment builds).
deny contains sprintf("job %s builds and pushes an image without the push role (AWS_PUSH_ROLE_ARN)", [id]) if {
	some id, job in jobs
	some step in job.steps
	pushes(step)
	not push_role(job)
}

pushes(step) if {
	uses(step, "docker/build-push-action")
	step["with"].push == true
}

pushes(step) if regex.match(`\bmake\b[^\n]*\simage\b`, object.get(step, "run", ""))

push_role(job) if {
	some step in job.steps
	uses(step, "aws-actions/configure-aws-credentials")
	step["with"]["role-to-assume"] == "${{ vars.AWS_PUSH_ROLE_ARN }}"
}

deny contains sprintf("job %s deploys without PROMOTE_FROM_REPOSITORY_URL: ${{ vars.PROMOTE_FROM_REPOSITORY_URL }}", [id]) if {
	some id, job in jobs
	some step in job.steps
	regex.match(`\bmake\b[^\n]*\sdeploy-app\b`, object.get(step, "run", ""))
	object.get(object.get(step, "env", {}), "PROMOTE_FROM_REPOSITORY_URL", "") != "${{ vars.PROMOTE_FROM_REPOSITORY_URL }}"
}
