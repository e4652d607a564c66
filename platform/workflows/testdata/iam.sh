# shellcheck shell=bash
# Sourced by the fakes that call AWS. iam_check ACTION RESOURCE OPERATION answers like the real
# CLI when the calling role may not do ACTION on RESOURCE: the service's AccessDenied text on
# stderr, exit 254. The role's policy is $FAKE_IAM_POLICY, lines "Effect<TAB>action<TAB>resource"
# with IAM's * and ? wildcards, rendered from Terraform (Role.PolicyLines); an explicit Deny wins,
# no Allow is an implicit deny. Without FAKE_IAM_POLICY the caller is an administrator (laptop).
iam_allowed() {
  local action=$1 resource=$2 effect a r allowed=1
  [ -n "${FAKE_IAM_POLICY:-}" ] || return 0
  while IFS=$'\t' read -r effect a r; do
    # shellcheck disable=SC2053 # unquoted on purpose: the policy's * and ? are IAM's wildcards
    if [[ "${action,,}" == ${a,,} && "$resource" == $r ]]; then
      [ "$effect" = Deny ] && return 1
      allowed=0
    fi
  done <"$FAKE_IAM_POLICY"
  return $allowed
}
iam_check() {
  iam_allowed "$1" "$2" && return 0
  echo "An error occurred (AccessDeniedException) when calling the $3 operation: User: ${FAKE_CALLER_ARN:-arn:aws:sts::123456789012:assumed-role/ci/GitHubActions} is not authorized to perform: $1 on resource: $2 because no identity-based policy allows the $1 action" >&2
  exit 254
}
ecr_arn() { echo "arn:aws:ecr:${AWS_REGION:-eu-west-1}:123456789012:repository/$1"; }
# ECR's state: $FAKE_STATE/ecr/<repository>/<tag> holds the tag's digest.
ecr_tag() { cat "$FAKE_STATE/ecr/$1/$2" 2>/dev/null; }
ecr_put() { mkdir -p "$FAKE_STATE/ecr/$1"; printf '%s\n' "$3" >"$FAKE_STATE/ecr/$1/$2"; }
