#!/usr/bin/env bash
# Deploys the service's chart by image DIGEST, tests the release and runs the
# smoke test; if the test or the smoke test fails it rolls back to the
# previous release and exits 1. The one path for both CD (deploy.yml) and the
# laptop (scripts/deploy.sh):
#
#   ENV=dev IMAGE_TAG=<git sha> scripts/deploy-app.sh       # digest looked up in ECR
#   ENV=dev IMAGE_DIGEST=sha256:... scripts/deploy-app.sh
#
# Settings come from the environment (CI passes the GitHub environment
# variables) or, when unset, from the Terraform outputs of infra/envs for $ENV:
# AWS_REGION, EKS_CLUSTER_NAME, ECR_REPOSITORY_URL, PUBLIC_BASE_URL; and for HTTPS
# CERTIFICATE_ARN and PUBLIC_HOST (ingress.certificateArn and ingress.host; unset and no
# Terraform output either: HTTP only).
#
# Promotion (prod): with PROMOTE_FROM_REPOSITORY_URL (dev's repository) the
# image is not looked up here but in dev: the digest tagged tested-$IMAGE_TAG,
# which only a deploy that passed helm test and the smoke test writes. It is
# copied unchanged (same digest) into ECR_REPOSITORY_URL as $IMAGE_TAG and, with
# RELEASE (the git tag, e.g. v1.2.0), as $RELEASE too: the record of what that
# release runs. Without PROMOTE_FROM_REPOSITORY_URL a deploy that passed
# records itself: tag tested-$IMAGE_TAG on the deployed digest.
# SMOKE_ADMIN_TOKEN defaults to ADMIN_TOKEN of the Secret orders-secrets.
# HELM_TIMEOUT (10m) bounds the rollout, SMOKE_TIMEOUT (5m) the smoke test,
# ALB_WAIT (300 s) the wait for the load balancer's hostname.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_env
RELEASE_NAME=orders
NAMESPACE=orders
CHART="$ROOT/deploy/helm/orders"
HELM_TIMEOUT=${HELM_TIMEOUT:-10m}
SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-5m}

resolve() {
	# The laptop path reads its settings from Terraform; CI passes them all (and has no state).
	local laptop=false
	[ -n "${ECR_REPOSITORY_URL:-}" ] || laptop=true
	from_tf AWS_REGION region
	from_tf EKS_CLUSTER_NAME cluster_name
	from_tf ECR_REPOSITORY_URL ecr_repository_url
	if [ -n "${PROMOTE_FROM_REPOSITORY_URL:-}" ]; then
		[ -n "${IMAGE_TAG:-}" ] || die "set IMAGE_TAG: promotion deploys the image that passed $PROMOTE_FROM_REPOSITORY_URL for that commit"
		[ -z "${IMAGE_DIGEST:-}" ] || die "IMAGE_DIGEST cannot be given with PROMOTE_FROM_REPOSITORY_URL: the digest is the one that was tested"
		local rc=0
		IMAGE_DIGEST=$(image_digest "tested-$IMAGE_TAG" "$PROMOTE_FROM_REPOSITORY_URL") || rc=$?
		case $rc in
		0) ;;
		2) die "commit $IMAGE_TAG has no tested image: $PROMOTE_FROM_REPOSITORY_URL has no tag tested-$IMAGE_TAG (written only when a deploy of that commit passed helm test and the smoke test). Release a commit that main deployed to dev successfully" ;;
		*) die "cannot look up $PROMOTE_FROM_REPOSITORY_URL:tested-$IMAGE_TAG" ;;
		esac
		say "    tested in $PROMOTE_FROM_REPOSITORY_URL: $IMAGE_DIGEST"
	elif [ -z "${IMAGE_DIGEST:-}" ]; then
		[ -n "${IMAGE_TAG:-}" ] || die "set IMAGE_TAG (the git SHA the image was built from) or IMAGE_DIGEST"
		local rc=0
		IMAGE_DIGEST=$(image_digest "$IMAGE_TAG") || rc=$?
		case $rc in
		0) ;;
		2) die "image $ECR_REPOSITORY_URL:$IMAGE_TAG does not exist: build and push it first (image.yml, or make deploy)" ;;
		*) die "cannot look up the digest of $ECR_REPOSITORY_URL:$IMAGE_TAG" ;;
		esac
	fi
	[[ "$IMAGE_DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]] || die "IMAGE_DIGEST '$IMAGE_DIGEST' is not sha256:<64 hex digits>"
	say "    image: $ECR_REPOSITORY_URL@$IMAGE_DIGEST${IMAGE_TAG:+ (tag $IMAGE_TAG)}"
	# HTTPS: the environment's certificate (Terraform output certificate_arn, made when the root has
	# a domain_name; CI: the GitHub variable CERTIFICATE_ARN). With it the ALB listens on 443 and
	# redirects HTTP to HTTPS (the chart's ingress template).
	if $laptop; then
		[ -n "${CERTIFICATE_ARN:-}" ] || CERTIFICATE_ARN=$(tf_output certificate_arn 2>/dev/null) || CERTIFICATE_ARN=""
		[ -n "${PUBLIC_HOST:-}" ] || PUBLIC_HOST=$(tf_output public_host 2>/dev/null) || PUBLIC_HOST=""
	fi
	CERTIFICATE_ARN=${CERTIFICATE_ARN:-} PUBLIC_HOST=${PUBLIC_HOST:-}
	https_sets=()
	if [ -n "$CERTIFICATE_ARN" ]; then
		[[ $CERTIFICATE_ARN =~ ^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$ ]] || die "CERTIFICATE_ARN '$CERTIFICATE_ARN' is not an ACM certificate ARN"
		https_sets+=(--set-string "ingress.certificateArn=$CERTIFICATE_ARN")
		say "    HTTPS: certificate $CERTIFICATE_ARN${PUBLIC_HOST:+, host $PUBLIC_HOST}"
	else
		say "    HTTP only: no CERTIFICATE_ARN (nor Terraform output certificate_arn)"
	fi
	if [ -n "$PUBLIC_HOST" ]; then
		https_sets+=(--set-string "ingress.host=$PUBLIC_HOST")
	fi
	# The edge (infra/modules/edge): the ALB's WAF web ACL and access-log bucket (Terraform outputs
	# waf_web_acl_arn, alb_access_logs_bucket; CI: the GitHub variables WAF_ACL_ARN,
	# ALB_ACCESS_LOGS_BUCKET). Missing: a warning, so a state from before the module still deploys.
	if $laptop; then
		[ -n "${WAF_ACL_ARN:-}" ] || WAF_ACL_ARN=$(tf_output waf_web_acl_arn 2>/dev/null) || WAF_ACL_ARN=""
		[ -n "${ALB_ACCESS_LOGS_BUCKET:-}" ] || ALB_ACCESS_LOGS_BUCKET=$(tf_output alb_access_logs_bucket 2>/dev/null) || ALB_ACCESS_LOGS_BUCKET=""
	fi
	WAF_ACL_ARN=${WAF_ACL_ARN:-} ALB_ACCESS_LOGS_BUCKET=${ALB_ACCESS_LOGS_BUCKET:-}
	edge_sets=()
	if [ -n "$WAF_ACL_ARN" ]; then
		edge_sets+=(--set-string "ingress.wafv2AclArn=$WAF_ACL_ARN")
	else
		say "    WARNING: no WAF_ACL_ARN (nor Terraform output waf_web_acl_arn): the ALB runs without the web ACL"
	fi
	if [ -n "$ALB_ACCESS_LOGS_BUCKET" ]; then
		edge_sets+=(--set-string "ingress.accessLogsBucket=$ALB_ACCESS_LOGS_BUCKET")
	else
		say "    WARNING: no ALB_ACCESS_LOGS_BUCKET (nor Terraform output alb_access_logs_bucket): no ALB access logs"
	fi
	update_kubeconfig
}

# promote copies the tested digest into this environment's repository (same
# digest: `imagetools create` with one index as source makes a carbon copy,
# docs.docker.com/reference/cli/docker/buildx/imagetools/create) and checks
# that ECR reports exactly that digest before anything is deployed.
promote() {
	local rc=0 existing copied
	existing=$(image_digest "$IMAGE_TAG") || rc=$?
	case $rc in
	0)
		[ "$existing" = "$IMAGE_DIGEST" ] ||
			die "$ECR_REPOSITORY_URL:$IMAGE_TAG is $existing, not the tested $IMAGE_DIGEST: refusing to deploy it"
		say "    $ECR_REPOSITORY_URL:$IMAGE_TAG is already the tested digest"
		;;
	2)
		registry_login >/dev/null
		docker buildx imagetools create --tag "$ECR_REPOSITORY_URL:$IMAGE_TAG" "$PROMOTE_FROM_REPOSITORY_URL@$IMAGE_DIGEST"
		copied=$(image_digest "$IMAGE_TAG") || die "cannot read back $ECR_REPOSITORY_URL:$IMAGE_TAG after the copy"
		[ "$copied" = "$IMAGE_DIGEST" ] ||
			die "the copy $ECR_REPOSITORY_URL:$IMAGE_TAG has digest $copied, not the tested $IMAGE_DIGEST: refusing to deploy it"
		say "    copied to $ECR_REPOSITORY_URL:$IMAGE_TAG ($IMAGE_DIGEST)"
		;;
	*) die "cannot check $ECR_REPOSITORY_URL:$IMAGE_TAG" ;;
	esac
	if [ -n "${RELEASE:-}" ]; then
		tag_image "$IMAGE_DIGEST" "$RELEASE" || die "cannot record release $RELEASE as $ECR_REPOSITORY_URL:$RELEASE"
		say "    release $RELEASE = $ECR_REPOSITORY_URL@$IMAGE_DIGEST"
	fi
}

# record marks the digest as tested once helm test and the smoke test passed:
# tag tested-$IMAGE_TAG, the only thing promotion accepts.
record() {
	if [ -z "${IMAGE_TAG:-}" ]; then
		say "    no IMAGE_TAG: nothing to record"
		return 0
	fi
	tag_image "$IMAGE_DIGEST" "tested-$IMAGE_TAG" ||
		die "deployed and tested, but cannot tag $ECR_REPOSITORY_URL:tested-$IMAGE_TAG: this commit cannot be promoted"
	say "    $ECR_REPOSITORY_URL:tested-$IMAGE_TAG = $IMAGE_DIGEST"
}

PREVIOUS_REVISION=""
upgrade() {
	if helm status "$RELEASE_NAME" --namespace "$NAMESPACE" >/dev/null 2>&1; then
		# The last revision whose status is "deployed": what runs now (a
		# failed revision on top of it is not a rollback target).
		PREVIOUS_REVISION=$(helm history "$RELEASE_NAME" --namespace "$NAMESPACE" --max 20 --output json |
			grep -o '{[^{}]*}' | grep '"status":[[:space:]]*"deployed"' | tail -n 1 |
			sed -n 's/.*"revision":[[:space:]]*\([0-9][0-9]*\).*/\1/p' || true)
		say "    running revision: ${PREVIOUS_REVISION:-none deployed}"
	else
		say "    first install of $RELEASE_NAME in $NAMESPACE"
	fi
	# --atomic: a rollout that does not become ready in time is rolled back
	# by Helm itself.
	helm upgrade --install "$RELEASE_NAME" "$CHART" \
		--namespace "$NAMESPACE" \
		--values "$CHART/values-$ENV.yaml" \
		--set-string "image.repository=$ECR_REPOSITORY_URL" \
		--set-string "image.digest=$IMAGE_DIGEST" \
		${https_sets[@]+"${https_sets[@]}"} \
		${edge_sets[@]+"${edge_sets[@]}"} \
		--atomic --wait --timeout "$HELM_TIMEOUT" \
		--history-max 10
}

# rollback returns the release to the revision that ran before this deploy.
rollback() {
	if [ -z "$PREVIOUS_REVISION" ]; then
		say "==> no previous revision to roll back to (first install): leaving the failed release for inspection"
		return 0
	fi
	say "==> rolling back $RELEASE_NAME to revision $PREVIOUS_REVISION"
	helm rollback "$RELEASE_NAME" "$PREVIOUS_REVISION" --namespace "$NAMESPACE" --wait --timeout "$HELM_TIMEOUT"
}

release_test() {
	helm test "$RELEASE_NAME" --namespace "$NAMESPACE" --timeout 5m --logs
}

# base_url prints PUBLIC_BASE_URL, or http:// + the load balancer's name
# from the Terraform output alb_hostname_command. The AWS Load Balancer
# Controller fills that name in a minute or two after the Ingress first
# appears, so it polls for up to ALB_WAIT seconds (300).
base_url() {
	if [ -n "${PUBLIC_BASE_URL:-}" ]; then
		printf '%s\n' "${PUBLIC_BASE_URL%/}"
		return 0
	fi
	local cmd host="" deadline=$((SECONDS + ${ALB_WAIT:-300}))
	# Without Terraform state at hand (a CI deploy job), the same query.
	cmd=$(tf_output alb_hostname_command 2>/dev/null) ||
		cmd="kubectl -n $NAMESPACE get ingress $RELEASE_NAME -o jsonpath='{.status.loadBalancer.ingress[0].hostname}'"
	while :; do
		host=$(bash -c "$cmd") || die "alb_hostname_command failed: $cmd"
		[ -z "$host" ] || break
		[ "$SECONDS" -lt "$deadline" ] || die "the load balancer has no hostname after ${ALB_WAIT:-300}s ($cmd printed nothing)"
		say "    waiting for the load balancer's hostname..." >&2
		sleep "${ALB_POLL:-10}"
	done
	printf 'http://%s\n' "$host"
}

# smoke runs the smoke test against URL. Called in an `if`, where set -e
# does not apply, so every step checks its own status.
smoke() {
	local url=$1 token
	token=${SMOKE_ADMIN_TOKEN:-}
	if [ -z "$token" ]; then
		if ! token=$(kubectl --namespace "$NAMESPACE" get secret orders-secrets -o 'jsonpath={.data.ADMIN_TOKEN}' | base64 -d); then
			say "cannot read ADMIN_TOKEN from Secret $NAMESPACE/orders-secrets (make mongodb-secret ENV=$ENV creates it)"
			return 1
		fi
	fi
	if [ -n "${GITHUB_ACTIONS:-}" ] && [ -n "$token" ]; then
		echo "::add-mask::$token"
	fi
	# The token goes through the environment, never the command line.
	SMOKE_ADMIN_TOKEN=$token make -C "$ROOT" --no-print-directory smoke BASE_URL="$url" SMOKE_TIMEOUT="$SMOKE_TIMEOUT"
}

# verify runs helm test and the smoke test; the first failure rolls back.
URL=""
verify() {
	if ! release_test; then
		say "==> helm test failed"
		rollback
		die "deploy of $IMAGE_DIGEST to $ENV failed helm test: rolled back"
	fi
	if ! URL=$(base_url); then
		rollback
		die "no public URL for the smoke test: rolled back"
	fi
	if ! smoke "$URL"; then
		say "==> smoke test failed"
		rollback
		die "deploy of $IMAGE_DIGEST to $ENV failed the smoke test: rolled back"
	fi
}

phase "resolve image and cluster" resolve
if [ -n "${PROMOTE_FROM_REPOSITORY_URL:-}" ]; then
	phase "promote $IMAGE_DIGEST" promote
fi
phase "helm upgrade $RELEASE_NAME (by digest)" upgrade
phase "helm test and smoke test" verify
if [ -z "${PROMOTE_FROM_REPOSITORY_URL:-}" ]; then
	phase "record the tested image" record
fi

say "deployed $ECR_REPOSITORY_URL@$IMAGE_DIGEST to $ENV: $URL"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	{
		echo "### Deployed to $ENV"
		echo
		echo "| | |"
		echo "|---|---|"
		echo "| image | \`$ECR_REPOSITORY_URL@$IMAGE_DIGEST\` |"
		echo "| commit | \`${IMAGE_TAG:-}\` |"
		if [ -n "${PROMOTE_FROM_REPOSITORY_URL:-}" ]; then
			echo "| promoted from | \`$PROMOTE_FROM_REPOSITORY_URL:tested-${IMAGE_TAG:-}\` |"
			echo "| release | \`${RELEASE:-}\` |"
		fi
		echo "| URL | $URL |"
	} >>"$GITHUB_STEP_SUMMARY"
fi
