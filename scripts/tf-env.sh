#!/usr/bin/env bash
# terraform in the environment root infra/envs for one environment, the way make deploy runs it:
# its own data directory (.terraform/<env>), -backend-config=<env>.s3.tfbackend on init,
# -var-file=<env>.tfvars on plan/apply/destroy/import/refresh/console (scripts/lib.sh tf_env).
# Usage: scripts/tf-env.sh dev|prod COMMAND [ARGS...], e.g. scripts/tf-env.sh dev output -raw cluster_name
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ENV=${1:-}
need_env
shift
[ $# -gt 0 ] || die "usage: scripts/tf-env.sh dev|prod COMMAND [ARGS...]"
tf_env "$@"
