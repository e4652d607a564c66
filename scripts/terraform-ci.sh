#!/usr/bin/env bash
# Terraform in CI (.github/workflows/infra.yml): plan one environment into a
# directory that the workflow uploads as an artifact, or apply exactly such a
# plan after review, so what runs is what the reviewers saw.
#
#   scripts/terraform-ci.sh plan  ENV DIR   # writes DIR/{tfplan,plan.txt,summary.md,commit,environment,.terraform.lock.hcl}
#   scripts/terraform-ci.sh apply ENV DIR   # checks DIR/commit and DIR/environment, applies DIR/tfplan
#
# The commit is GITHUB_SHA (else the checkout's HEAD). GITHUB_STEP_SUMMARY,
# when set, gets the plan's summary. DIR/tfplan holds every value of the plan
# in clear, secrets included: the workflow keeps it one day and never uploads
# it for a pull request (docs/cicd.md).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: scripts/terraform-ci.sh plan|apply ENV DIR"
CMD=${1:-}
ENV=${2:-}
DIR=${3:-}
need_env
[ -n "$DIR" ] || die "$usage"
TF_DIR="$ROOT/infra/envs/$ENV"
COMMIT=${GITHUB_SHA:-$(git -C "$ROOT" rev-parse HEAD)}

# summary prints the plan's headline, one line per resource change and the
# whole plan (sensitive values are masked by terraform show) in a fold.
summary() {
	echo "### terraform plan: $ENV"
	echo
	echo "Commit \`$COMMIT\`: $(grep -E '^(Plan:|No changes)' "$DIR/plan.txt" | head -n 1 || echo 'no summary line')"
	echo
	# shellcheck disable=SC2016 # the backquotes are Markdown
	grep -E '^  # .* (will be|must be)' "$DIR/plan.txt" | head -n 200 |
		sed -E 's/^  # (.*) (will be|must be) (.*)$/- `\1` \2 \3/' || true
	echo
	echo '<details><summary>full plan</summary>'
	echo
	echo '```'
	head -c 50000 "$DIR/plan.txt"
	echo '```'
	echo '</details>'
}

plan() {
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	terraform -chdir="$TF_DIR" init -input=false -no-color
	local rc=0
	terraform -chdir="$TF_DIR" plan -input=false -no-color -lock-timeout=5m -detailed-exitcode -out="$DIR/tfplan" || rc=$?
	case $rc in
	0 | 2) ;;
	*) die "terraform plan of $ENV failed (exit $rc)" ;;
	esac
	terraform -chdir="$TF_DIR" show -no-color "$DIR/tfplan" >"$DIR/plan.txt"
	# The apply job installs exactly the providers this plan was made with.
	cp "$TF_DIR/.terraform.lock.hcl" "$DIR/.terraform.lock.hcl"
	printf '%s\n' "$COMMIT" >"$DIR/commit"
	printf '%s\n' "$ENV" >"$DIR/environment"
	summary >"$DIR/summary.md"
	if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
		cat "$DIR/summary.md" >>"$GITHUB_STEP_SUMMARY"
	fi
	grep -E '^(Plan:|No changes)' "$DIR/plan.txt" || true
}

apply() {
	[ -f "$DIR/tfplan" ] || die "no plan file $DIR/tfplan: the apply job applies only the artifact of the plan job"
	local planned_commit planned_env
	planned_commit=$(cat "$DIR/commit" 2>/dev/null || true)
	planned_env=$(cat "$DIR/environment" 2>/dev/null || true)
	[ "$planned_commit" = "$COMMIT" ] ||
		die "the plan was made from commit '$planned_commit', this job runs $COMMIT: refusing to apply it"
	[ "$planned_env" = "$ENV" ] || die "the plan is of '$planned_env', not $ENV: refusing to apply it"
	cp "$DIR/.terraform.lock.hcl" "$TF_DIR/.terraform.lock.hcl"
	terraform -chdir="$TF_DIR" init -input=false -no-color
	# A saved plan applies without a question, and fails if the state changed since.
	terraform -chdir="$TF_DIR" apply -input=false -no-color -lock-timeout=5m "$DIR/tfplan"
}

case $CMD in
plan) phase "terraform plan $ENV" plan ;;
apply) phase "terraform apply $ENV (the reviewed plan)" apply ;;
*) die "$usage" ;;
esac
