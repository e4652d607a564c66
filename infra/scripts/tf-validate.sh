#!/usr/bin/env bash
# terraform init -backend=false && terraform validate in each root. Needs the terraform binary and
# registry.terraform.io for the providers; where either is missing (an offline machine) it says so
# and exits 0: the offline checks of platform/terraform still run in `make test`, and CI on GitHub
# runs this for real.
# Usage: infra/scripts/tf-validate.sh [ROOT_DIR...]   (default: infra/bootstrap infra/envs)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
infra=$(dirname "$here")
TERRAFORM=${TERRAFORM:-terraform}

if [ $# -eq 0 ]; then
	set -- "$infra/bootstrap" "$infra/envs"
fi

if ! command -v "$TERRAFORM" >/dev/null 2>&1; then
	echo "tf-validate: SKIPPED, no terraform binary on PATH (make tf-validate uses the pinned one; CI runs this step)"
	exit 0
fi

# Plugin cache shared by the roots, kept out of the repository.
export TF_PLUGIN_CACHE_DIR=${TF_PLUGIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orderstack/terraform-plugins}
mkdir -p "$TF_PLUGIN_CACHE_DIR"

# Offline symptoms of `terraform init`: the registry cannot be reached or a provider not downloaded.
offline='could not connect to registry|Failed to query available provider packages|Failed to install provider|no such host|dial tcp|i/o timeout|connection refused'

status=0
for root in "$@"; do
	name=${root#"$infra"/}
	log=$(mktemp)
	if ! "$TERRAFORM" -chdir="$root" init -backend=false -input=false -no-color >"$log" 2>&1; then
		if grep -Eq "$offline" "$log"; then
			echo "tf-validate: SKIPPED $name, terraform init cannot download the providers here (no registry access); CI runs this step"
			rm -f "$log"
			continue
		fi
		echo "tf-validate: FAIL $name: terraform init"
		cat "$log"
		rm -f "$log"
		status=1
		continue
	fi
	rm -f "$log"
	if "$TERRAFORM" -chdir="$root" validate -no-color; then
		echo "tf-validate: ok $name"
	else
		echo "tf-validate: FAIL $name: terraform validate"
		status=1
	fi
done
exit "$status"
