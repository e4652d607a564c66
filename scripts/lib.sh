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

# ecr_name [URL] prints the repository name of URL (default ECR_REPOSITORY_URL,
# <account>.dkr.ecr.<region>.amazonaws.com/<name>).
ecr_name() {
	local url=${1:-$ECR_REPOSITORY_URL}
	printf '%s\n' "${url#*/}"
}

# image_digest TAG [URL] prints the digest of URL:TAG (URL defaults to
# ECR_REPOSITORY_URL), or fails with exit status 2 when the tag does not
# exist (any other failure, AccessDenied included: 1, with the error).
# Needs ecr:DescribeImages on the repository.
image_digest() {
	local tag=$1 url=${2:-$ECR_REPOSITORY_URL} out
	if out=$(aws ecr describe-images --region "$AWS_REGION" --repository-name "$(ecr_name "$url")" \
		--image-ids "imageTag=$tag" --query 'imageDetails[0].imageDigest' --output text 2>&1); then
		if [[ "$out" =~ ^sha256:[0-9a-f]{64}$ ]]; then
			printf '%s\n' "$out"
			return 0
		fi
		printf 'error: ECR answered %q for %s:%s, not a sha256 digest\n' "$out" "$url" "$tag" >&2
		return 1
	fi
	if [[ "$out" == *ImageNotFoundException* ]]; then
		return 2
	fi
	printf 'error: aws ecr describe-images %s:%s: %s\n' "$url" "$tag" "$out" >&2
	return 1
}

# registry_login logs docker in to the registry of ECR_REPOSITORY_URL
# (ecr:GetAuthorizationToken); the password goes through a pipe only.
registry_login() {
	aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "${ECR_REPOSITORY_URL%%/*}"
}

# Media types ECR may hold for our images: buildx pushes an OCI index (image +
# provenance + SBOM); the others keep a plain manifest taggable too.
MANIFEST_TYPES=(application/vnd.oci.image.index.v1+json application/vnd.docker.distribution.manifest.list.v2+json
	application/vnd.oci.image.manifest.v1+json application/vnd.docker.distribution.manifest.v2+json)

# tag_image DIGEST TAG adds TAG to the image DIGEST of ECR_REPOSITORY_URL
# without pulling it: batch-get-image reads its manifest, put-image stores the
# same bytes under the new tag (AWS's documented way to retag; needs
# ecr:BatchGetImage and ecr:PutImage). A TAG already on DIGEST is fine; on
# another digest it is an error (tags are immutable).
tag_image() {
	local digest=$1 tag=$2 manifest out
	manifest=$(aws ecr batch-get-image --region "$AWS_REGION" --repository-name "$(ecr_name)" \
		--image-ids "imageDigest=$digest" --accepted-media-types "${MANIFEST_TYPES[@]}" \
		--query 'images[0].imageManifest' --output text) || return 1
	if out=$(aws ecr put-image --region "$AWS_REGION" --repository-name "$(ecr_name)" \
		--image-tag "$tag" --image-digest "$digest" --image-manifest "$manifest" 2>&1); then
		return 0
	fi
	if [[ "$out" == *ImageAlreadyExistsException* ]]; then
		return 0
	fi
	printf 'error: aws ecr put-image %s:%s: %s\n' "$ECR_REPOSITORY_URL" "$tag" "$out" >&2
	return 1
}

# update_kubeconfig points kubectl and helm at the environment's cluster.
update_kubeconfig() {
	aws eks update-kubeconfig --region "$AWS_REGION" --name "$EKS_CLUSTER_NAME" >/dev/null
	say "    kubectl context: $EKS_CLUSTER_NAME ($AWS_REGION)"
}
