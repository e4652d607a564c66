#!/usr/bin/env bash
# Terraform in CI (.github/workflows/infra.yml): plan one environment into a
# directory that the workflow uploads as an artifact, or apply exactly such a
# plan after review, so what runs is what the reviewers saw.
#
#   scripts/terraform-ci.sh plan  ENV DIR   # writes DIR/{tfplan.enc,tfplan.key,plan.txt,summary.md,commit,environment,.terraform.lock.hcl}
#   scripts/terraform-ci.sh apply ENV DIR   # checks DIR/commit and DIR/environment, decrypts and applies the plan
#
# The commit is GITHUB_SHA (else the checkout's HEAD). GITHUB_STEP_SUMMARY,
# when set, gets the plan's summary. A saved plan holds every value in clear,
# secrets included, so it never leaves the plan job unencrypted: a fresh
# AES-256 data key from KMS (PLAN_KEY, default alias/orderstack-$ENV-ci-plans,
# made by infra/modules/iam-github) encrypts it with openssl; only the data
# key's KMS ciphertext travels with it. The plan role may generate data keys
# but never decrypt them; the apply role may (docs/cicd.md).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: scripts/terraform-ci.sh plan|apply ENV DIR"
CMD=${1:-}
ENV=${2:-}
DIR=${3:-}
need_env
[ -n "$DIR" ] || die "$usage"
# One root, infra/envs, with <env>.tfvars and <env>.s3.tfbackend, and a data
# directory per environment.
TF_DIR="$ROOT/infra/envs"
[ -f "$TF_DIR/$ENV.tfvars" ] || die "no infra/envs/$ENV.tfvars"
export TF_DATA_DIR=".terraform/$ENV"
PLAN_KEY=${PLAN_KEY:-alias/orderstack-$ENV-ci-plans}
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

# encrypt_plan replaces DIR/tfplan by DIR/tfplan.enc + DIR/tfplan.key. The
# data key goes to openssl through a pipe, never an argument or a file.
encrypt_plan() {
	local out
	out=$(aws kms generate-data-key --key-id "$PLAN_KEY" --key-spec AES_256 \
		--query '[Plaintext,CiphertextBlob]' --output text) || die "cannot get a data key from $PLAN_KEY"
	printf '%s' "${out##*[[:space:]]}" | base64 -d >"$DIR/tfplan.key"
	printf '%s' "${out%%[[:space:]]*}" |
		openssl enc -aes-256-cbc -pbkdf2 -salt -pass stdin -in "$DIR/tfplan" -out "$DIR/tfplan.enc"
	rm -f "$DIR/tfplan"
}

# decrypt_plan writes DIR/tfplan from DIR/tfplan.enc (kms:Decrypt: the apply role only).
decrypt_plan() {
	local key
	key=$(aws kms decrypt --ciphertext-blob "fileb://$DIR/tfplan.key" --query Plaintext --output text) ||
		die "cannot decrypt the plan's data key (only the apply role may)"
	printf '%s' "$key" | openssl enc -d -aes-256-cbc -pbkdf2 -pass stdin -in "$DIR/tfplan.enc" -out "$DIR/tfplan"
}

plan() {
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	terraform -chdir="$TF_DIR" init -input=false -no-color -backend-config="$ENV.s3.tfbackend"
	local rc=0
	terraform -chdir="$TF_DIR" plan -input=false -no-color -lock-timeout=5m -detailed-exitcode \
		-var-file="$ENV.tfvars" -out="$DIR/tfplan" || rc=$?
	case $rc in
	0 | 2) ;;
	*) die "terraform plan of $ENV failed (exit $rc)" ;;
	esac
	terraform -chdir="$TF_DIR" show -no-color "$DIR/tfplan" >"$DIR/plan.txt"
	encrypt_plan
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
	if [ ! -f "$DIR/tfplan.enc" ] || [ ! -f "$DIR/tfplan.key" ]; then
		die "no encrypted plan in $DIR: the apply job applies only the artifact of the plan job"
	fi
	local planned_commit planned_env
	planned_commit=$(cat "$DIR/commit" 2>/dev/null || true)
	planned_env=$(cat "$DIR/environment" 2>/dev/null || true)
	[ "$planned_commit" = "$COMMIT" ] ||
		die "the plan was made from commit '$planned_commit', this job runs $COMMIT: refusing to apply it"
	[ "$planned_env" = "$ENV" ] || die "the plan is of '$planned_env', not $ENV: refusing to apply it"
	decrypt_plan
	cp "$DIR/.terraform.lock.hcl" "$TF_DIR/.terraform.lock.hcl"
	terraform -chdir="$TF_DIR" init -input=false -no-color -backend-config="$ENV.s3.tfbackend"
	# A saved plan carries its variables (no -var-file here), applies without a
	# question, and fails if the state changed since.
	terraform -chdir="$TF_DIR" apply -input=false -no-color -lock-timeout=5m "$DIR/tfplan"
}

case $CMD in
plan) phase "terraform plan $ENV" plan ;;
apply) phase "terraform apply $ENV (the reviewed plan)" apply ;;
*) die "$usage" ;;
esac
