#!/usr/bin/env bash
# The laptop path: everything from an empty AWS account to a smoke-tested
# release of the current commit. Usage: ENV=dev|prod scripts/deploy.sh
# (or `make deploy ENV=dev`). Re-running is safe: Terraform converges, an
# image already in ECR for this commit is not rebuilt, Helm upgrades.
#
#   AUTO_APPROVE=1   terraform apply without asking
#   IMAGE_TAG=...    deploy this tag instead of the current commit
#   PLATFORM=...     buildx platform of the image (linux/amd64)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_env
BACKEND_CONFIG="$ROOT/infra/envs/$ENV.s3.tfbackend"
BOOTSTRAP_DIR="$ROOT/infra/bootstrap"
approve=()
if [ "${AUTO_APPROVE:-}" = 1 ]; then
	approve=(-auto-approve)
fi

preflight() { ENV=$ENV "$ROOT/scripts/preflight.sh"; }

# The image tag is the commit: a dirty tree would push an image whose tag
# lies about its content.
image_tag() {
	if [ -z "${IMAGE_TAG:-}" ]; then
		if [ -n "$(git -C "$ROOT" status --porcelain)" ]; then
			die "uncommitted changes: commit them first (the image tag is the git SHA) or set IMAGE_TAG"
		fi
		IMAGE_TAG=$(git -C "$ROOT" rev-parse HEAD)
	fi
	export IMAGE_TAG
}

# state_bucket prints the S3 bucket of the environment's backend settings.
state_bucket() {
	sed -n 's/^[[:space:]]*bucket[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$BACKEND_CONFIG" | head -n 1
}

# state creates the Terraform state bucket (infra/bootstrap) if it is missing.
state() {
	local bucket
	bucket=$(state_bucket)
	[ -n "$bucket" ] || die "no bucket = \"...\" in $BACKEND_CONFIG"
	if aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
		say "    state bucket $bucket exists"
		return 0
	fi
	say "    state bucket $bucket is missing: applying infra/bootstrap"
	terraform -chdir="$BOOTSTRAP_DIR" init -input=false
	terraform -chdir="$BOOTSTRAP_DIR" apply -input=false ${approve[@]+"${approve[@]}"}
}

infra() {
	tf_env init -input=false
	tf_env apply -input=false ${approve[@]+"${approve[@]}"}
	# The environment's outputs win over whatever the shell had set.
	unset AWS_REGION EKS_CLUSTER_NAME ECR_REPOSITORY_URL
	from_tf AWS_REGION region
	from_tf EKS_CLUSTER_NAME cluster_name
	from_tf ECR_REPOSITORY_URL ecr_repository_url
	update_kubeconfig
}

# image builds and pushes ECR_REPOSITORY_URL:IMAGE_TAG unless it exists
# (tags are immutable in ECR, so an existing tag is this commit's image).
image() {
	local rc=0 registry
	image_digest "$IMAGE_TAG" >/dev/null || rc=$?
	case $rc in
	0)
		say "    $ECR_REPOSITORY_URL:$IMAGE_TAG already in ECR: skipping build and push"
		return 0
		;;
	2) ;;
	*) die "cannot check ECR for $ECR_REPOSITORY_URL:$IMAGE_TAG" ;;
	esac
	registry=${ECR_REPOSITORY_URL%%/*}
	aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$registry"
	# Provenance and SBOM attestations need a docker-container builder (the default docker driver
	# rejects them); one named $BUILDER is created once and reused.
	local builder=${BUILDX_BUILDER:-orderstack}
	if ! docker buildx inspect "$builder" >/dev/null 2>&1; then
		say "    creating buildx builder $builder (docker-container driver, for the attestations)"
		docker buildx create --name "$builder" --driver docker-container >/dev/null
	fi
	BUILDX_BUILDER=$builder make -C "$ROOT" --no-print-directory image IMAGE="$ECR_REPOSITORY_URL" VERSION="$IMAGE_TAG" \
		PLATFORM="${PLATFORM:-linux/amd64}" IMAGE_OUTPUT="--push --provenance=mode=max --sbom=true"
}

secret() { make -C "$ROOT" --no-print-directory mongodb-secret ENV="$ENV"; }

app() { "$ROOT/scripts/deploy-app.sh"; }

phase "preflight" preflight
image_tag
phase "terraform state" state
phase "infrastructure (terraform apply infra/envs, $ENV.tfvars)" infra
phase "image $IMAGE_TAG" image
phase "MongoDB secret" secret
phase "app (helm by digest, helm test, smoke test)" app

say ""
say "==> $ENV is up in $(elapsed_total)"
url=${PUBLIC_BASE_URL:-}
if [ -z "$url" ]; then
	url="http://$(bash -c "$(tf_output alb_hostname_command)")"
fi
say "    API:      $url/api/v1/products"
say "    Grafana:  kubectl -n monitoring port-forward svc/kube-prometheus-stack-grafana 3001:80, then http://localhost:3001"
grafana_password=$(tf_output grafana_password_command 2>/dev/null) ||
	grafana_password="kubectl -n monitoring get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d"
say "              (user admin; password: $grafana_password)"
say "    MongoDB:  kubectl -n mongodb port-forward pod/orders-mongodb-rs0-0 27017:27017, then"
say "              mongosh 'mongodb://localhost:27017/orders?directConnection=true&authSource=admin&tls=true&tlsCAFile=ca.crt' -u <your user>"
say "              (docs/deployment-plan.md, section 10: developer access)"
