#!/usr/bin/env bash
# Checks what `make deploy` and `make destroy` need on this machine, printing
# ONE line per problem, and exits 1 if there is any. Usage: [ENV=dev|prod] scripts/preflight.sh
# With ENV, it also checks that the AWS identity is one of the environment's admin_principal_arns.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Terraform: the roots' required_version (infra/envs/terraform.tf, infra/bootstrap/terraform.tf).
MIN_TERRAFORM=1.10.0
BELOW_TERRAFORM=2.0.0
MIN_HELM=3.14.0

problems=0
found=()
problem() {
	say "preflight: $*"
	problems=$((problems + 1))
}
have() { command -v "$1" >/dev/null 2>&1; }

# BUILDER is the buildx builder `make deploy` pushes with: the default `docker` driver rejects the
# provenance and SBOM attestations, a docker-container builder takes them.
BUILDER=${BUILDX_BUILDER:-orderstack}

# admin_arns FILE: the ARNs of admin_principal_arns = [...] in a tfvars file, one per line.
admin_arns() {
	awk '/^[[:space:]]*admin_principal_arns[[:space:]]*=/ {on = 1} on {print} on && /\]/ {exit}' "$1" |
		grep -o '"arn:[^"]*"' | tr -d '"' || true
}

# is_admin CALLER: whether stdin's ARNs hold the caller. An assumed-role session
# (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION) is the role arn:aws:iam::ACCOUNT:role/[PATH/]NAME.
is_admin() {
	local caller=$1 a partition account name
	case $caller in
	arn:*:sts::*:assumed-role/*)
		partition=$(cut -d: -f2 <<<"$caller")
		account=$(cut -d: -f5 <<<"$caller")
		name=${caller#*:assumed-role/}
		name=${name%%/*}
		while read -r a; do
			case $a in
			"arn:$partition:iam::$account:role/$name" | "arn:$partition:iam::$account:role/"*"/$name") return 0 ;;
			esac
		done
		;;
	*)
		while read -r a; do
			[ "$a" = "$caller" ] && return 0
		done
		;;
	esac
	return 1
}

# terraform >= 1.10 (S3 native state locking), < 2.0
if ! have terraform; then
	problem "terraform is missing: install Terraform >= $MIN_TERRAFORM, < $BELOW_TERRAFORM (https://developer.hashicorp.com/terraform/install)"
else
	v=$(terraform version 2>/dev/null | sed -n '1s/^Terraform v\([0-9][0-9.]*\).*/\1/p')
	if [ -z "$v" ]; then
		problem "terraform: cannot read its version from 'terraform version'"
	elif ! version_ge "$v" "$MIN_TERRAFORM"; then
		problem "terraform $v is too old: need >= $MIN_TERRAFORM"
	elif version_ge "$v" "$BELOW_TERRAFORM"; then
		problem "terraform $v is too new: the roots allow >= $MIN_TERRAFORM, < $BELOW_TERRAFORM"
	else
		found+=("terraform $v")
	fi
fi

# aws CLI v2, then who we are and where
aws_ok=false
if ! have aws; then
	problem "aws is missing: install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"
else
	v=$(aws --version 2>&1 | sed -n '1s|^aws-cli/\([0-9][0-9.]*\).*|\1|p')
	case "$v" in
	2.*)
		aws_ok=true
		found+=("aws-cli $v")
		;;
	"") problem "aws: cannot read its version from 'aws --version'" ;;
	*) problem "aws CLI $v is not v2: install AWS CLI v2" ;;
	esac
fi

# kubectl
if ! have kubectl; then
	problem "kubectl is missing: install kubectl (https://kubernetes.io/docs/tasks/tools/)"
else
	found+=("kubectl")
fi

# helm >= 3.14
if ! have helm; then
	problem "helm is missing: install Helm >= $MIN_HELM (https://helm.sh/docs/intro/install/)"
else
	v=$(helm version --template '{{.Version}}' 2>/dev/null | sed -n '1s/^v\([0-9][0-9.]*\).*/\1/p')
	if [ -z "$v" ]; then
		problem "helm: cannot read its version from 'helm version'"
	elif ! version_ge "$v" "$MIN_HELM"; then
		problem "helm $v is too old: need >= $MIN_HELM"
	else
		found+=("helm $v")
	fi
fi

# docker with buildx, engine running
if ! have docker; then
	problem "docker is missing: install Docker with the buildx plugin (https://docs.docker.com/get-docker/)"
elif ! docker buildx version >/dev/null 2>&1; then
	problem "docker buildx is missing: install the buildx plugin (https://github.com/docker/buildx#installing)"
elif ! docker info >/dev/null 2>&1; then
	problem "docker engine is not running: start Docker ('docker info' must work)"
else
	found+=("docker buildx")
	driver=$(docker buildx inspect "$BUILDER" 2>/dev/null | sed -n 's/^Driver:[[:space:]]*//p' | head -n 1) || driver="" # no builder yet
	case $driver in
	"" | docker-container) ;;
	*) problem "buildx builder $BUILDER uses the $driver driver, which rejects the image's attestations: docker buildx rm $BUILDER (make deploy recreates it with the docker-container driver)" ;;
	esac
fi

# the rest of the toolchain the scripts call
for tool in git make go; do
	if ! have "$tool"; then
		problem "$tool is missing: install $tool"
	fi
done

# AWS region and identity (only meaningful with a working aws CLI)
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [ -z "$region" ] && $aws_ok; then
	region=$(aws configure get region 2>/dev/null || true)
fi
if [ -z "$region" ]; then
	problem "AWS region is not set: export AWS_REGION=<region> (or 'aws configure set region <region>')"
else
	found+=("region $region")
fi
if $aws_ok; then
	if arn=$(aws sts get-caller-identity --query Arn --output text 2>/dev/null) && [ -n "$arn" ]; then
		found+=("AWS identity $arn")
		tfvars="$ROOT/infra/envs/${ENV:-}.tfvars"
		if [ -n "${ENV:-}" ] && [ -f "$tfvars" ] && ! admin_arns "$tfvars" | is_admin "$arn"; then
			problem "AWS identity $arn is not in admin_principal_arns of infra/envs/$ENV.tfvars: add its IAM role or user ARN and commit, else the cluster is created without your access and the apply ends in Unauthorized"
		fi
	else
		problem "AWS credentials do not work: 'aws sts get-caller-identity' failed (run 'aws sso login' or set AWS_PROFILE)"
	fi
fi

if [ "$problems" -gt 0 ]; then
	say "preflight: $problems problem(s); fix them and run again"
	exit 1
fi
say "preflight: ok: $(
	IFS=,
	printf '%s' "${found[*]}" | sed 's/,/, /g'
)"
