#!/usr/bin/env bash
# Tears an environment down: first what Kubernetes created outside Terraform
# (load balancers, volumes: infra/scripts/pre-destroy.sh), then the
# Terraform root. The state bucket (infra/bootstrap) is kept.
# Usage: ENV=dev|prod scripts/destroy.sh; AUTO_APPROVE=1 skips both questions.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_env
approve=()
if [ "${AUTO_APPROVE:-}" = 1 ]; then
	approve=(-auto-approve)
else
	printf 'This destroys the %s environment and its data. Type %s to go on: ' "$ENV" "$ENV"
	answer=""
	read -r answer || true # end of input: not confirmed
	[ "$answer" = "$ENV" ] || die "not confirmed: nothing destroyed"
fi

preflight() { "$ROOT/scripts/preflight.sh"; }

cluster_objects() {
	tf_env init -input=false
	if from_tf_quiet; then
		update_kubeconfig
		"$ROOT/infra/scripts/pre-destroy.sh" "$ENV"
	else
		say "    no cluster in the Terraform state: nothing to clean up in Kubernetes"
	fi
}

# from_tf_quiet reads the cluster settings, false when there is no cluster.
from_tf_quiet() {
	AWS_REGION=${AWS_REGION:-$(tf_output region 2>/dev/null || true)}
	EKS_CLUSTER_NAME=$(tf_output cluster_name 2>/dev/null || true)
	export AWS_REGION EKS_CLUSTER_NAME
	[ -n "$AWS_REGION" ] && [ -n "$EKS_CLUSTER_NAME" ]
}

infra() { tf_env destroy -input=false ${approve[@]+"${approve[@]}"}; }

phase "preflight" preflight
phase "Kubernetes-created resources (infra/scripts/pre-destroy.sh)" cluster_objects
phase "terraform destroy infra/envs ($ENV.tfvars)" infra
say "==> $ENV destroyed in $(elapsed_total); the state bucket (infra/bootstrap) is kept"
