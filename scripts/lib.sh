# shellcheck shell=bash
# Helpers shared by the deploy scripts (sourced, never run). Each script sets
# `set -euo pipefail` itself before sourcing this file.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# need_env checks that ENV is one of the environments (infra/envs/<ENV>.tfvars).
need_env() {
	case "${ENV:-}" in
	dev | prod) ;;
	*) die "ENV must be dev or prod (got '${ENV:-}'), e.g. make deploy ENV=dev" ;;
	esac
}

# version_ge A B: true when version A >= version B (both like 1.10.2).
version_ge() {
	[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# Phases: `phase NAME FUNCTION` prints a header, runs the function and prints
# its duration. A failure inside a phase ends the script (set -e); the EXIT
# trap then names the phase that failed and how long it ran.
PHASE_NO=0
PHASE_NAME=""
PHASE_START=0
SCRIPT_START=$SECONDS

on_exit() {
	local rc=$?
	if [ "$rc" -ne 0 ] && [ -n "$PHASE_NAME" ]; then
		say "==> FAILED in phase '$PHASE_NAME' after $((SECONDS - PHASE_START))s (exit $rc)"
	fi
}
trap on_exit EXIT

phase() {
	local name=$1
	shift
	PHASE_NO=$((PHASE_NO + 1))
	PHASE_NAME=$name
	PHASE_START=$SECONDS
	say "==> [$PHASE_NO] $name"
	"$@"
	say "    $name: done in $((SECONDS - PHASE_START))s"
	PHASE_NAME=""
}

elapsed_total() { say "$((SECONDS - SCRIPT_START))s"; }

# tf_env COMMAND ARGS...: terraform in the environment root infra/envs for $ENV, with the
# environment's own data directory (.terraform/$ENV: dev and prod never share an initialised
# backend), its backend settings on init ($ENV.s3.tfbackend) and its variables ($ENV.tfvars) on
# the commands that evaluate the configuration.
tf_env() {
	local cmd=$1 extra=()
	shift
	case $cmd in
	init) extra=(-backend-config="$ENV.s3.tfbackend") ;;
	plan | destroy | import | refresh | console) extra=(-var-file="$ENV.tfvars") ;;
	apply) # a saved plan (last argument not a flag) already holds the variables
		if [ $# -eq 0 ] || [[ ${*: -1} == -* ]]; then extra=(-var-file="$ENV.tfvars"); fi ;;
	esac
	TF_DATA_DIR=".terraform/$ENV" terraform -chdir="$ROOT/infra/envs" "$cmd" ${extra[@]+"${extra[@]}"} "$@"
}

# tf_output NAME prints one output of the environment.
tf_output() {
	tf_env output -raw "$1"
}

# from_tf VAR OUTPUT: keeps $VAR when set (CI passes GitHub environment
# variables), otherwise reads the Terraform output.
from_tf() {
	local var=$1 output=$2 value
	value=${!var:-}
	if [ -z "$value" ]; then
		value=$(tf_output "$output") || die "terraform output $output of infra/envs ($ENV) failed: run 'make deploy ENV=$ENV' first, or set $var"
	fi
	[ -n "$value" ] || die "terraform output $output of infra/envs ($ENV) is empty"
	printf -v "$var" '%s' "$value"
	export "${var?}"
}

# ecr_name prints the repository name of ECR_REPOSITORY_URL
# (<account>.dkr.ecr.<region>.amazonaws.com/<name>).
ecr_name() { printf '%s\n' "${ECR_REPOSITORY_URL#*/}"; }

# image_digest TAG prints the digest of ECR_REPOSITORY_URL:TAG, or fails
# with exit status 2 when the tag does not exist (any other failure: 1).
image_digest() {
	local tag=$1 out
	if out=$(aws ecr describe-images --region "$AWS_REGION" --repository-name "$(ecr_name)" \
		--image-ids "imageTag=$tag" --query 'imageDetails[0].imageDigest' --output text 2>&1); then
		if [[ "$out" =~ ^sha256:[0-9a-f]{64}$ ]]; then
			printf '%s\n' "$out"
			return 0
		fi
		printf 'error: ECR answered %q for %s:%s, not a sha256 digest\n' "$out" "$ECR_REPOSITORY_URL" "$tag" >&2
		return 1
	fi
	if [[ "$out" == *ImageNotFoundException* ]]; then
		return 2
	fi
	printf 'error: aws ecr describe-images %s:%s: %s\n' "$ECR_REPOSITORY_URL" "$tag" "$out" >&2
	return 1
}

# update_kubeconfig points kubectl and helm at the environment's cluster.
update_kubeconfig() {
	aws eks update-kubeconfig --region "$AWS_REGION" --name "$EKS_CLUSTER_NAME" >/dev/null
	say "    kubectl context: $EKS_CLUSTER_NAME ($AWS_REGION)"
}
