#!/usr/bin/env bash
# Offline checks of infra/ with the real tools (make test-infra; docs/infra.md):
#   terraform fmt -check; terraform init -backend=false + validate of every root and module;
#   terraform test for every module with a tests/ folder (the environment root once per
#   <env>.tfvars); tflint with the AWS ruleset; the terraform-docs part of each module's README.md
#   and docs/resources.md (platform/cmd/resourcesgen over terraform-docs json) up to date.
# Providers are the schema stand-in (tools/tfschema) installed through a generated CLI
# configuration (dev_overrides), so nothing reaches a registry. Everything runs in a temporary
# copy of infra/: no .terraform, lock file or state lands in the tree.
# Needs TERRAFORM, TFSCHEMA, TFLINT, TFLINT_PLUGIN_DIR and TERRAFORM_DOCS (the Makefile sets them).
# Usage: [ONLY=infra/modules/x] tools/terraform/check.sh [fmt|validate|test|tflint|docs|resources ...]   (default: all)
#        tools/terraform/check.sh docs-write     (rewrite the READMEs and docs/resources.md in place)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${TERRAFORM:?path of the pinned terraform binary (make test-infra sets it)}"
: "${TFSCHEMA:?path of the schema stand-in provider (make test-infra sets it)}"

work=$(mktemp -d "${TMPDIR:-/tmp}/tfcheck.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The copy: infra/ without working files a developer's online init may have left, and deploy/,
# whose chart values the stack reads with file().
mkdir -p "$work/infra" "$work/deploy"
tar -C "$root/infra" --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' -cf - . |
	tar -C "$work/infra" -xf -
tar -C "$root/deploy" -cf - . | tar -C "$work/deploy" -xf -

# One link per provider the configuration uses, all to the stand-in; it picks its schema by name.
# The same setup in Go, for platform/'s checks: tfrun.Offline (platform/internal/tfrun); a change
# here (a provider, a setting) belongs there too.
mkdir -p "$work/providers"
overrides=""
for p in aws helm kubernetes random; do
	ln -s "$TFSCHEMA" "$work/providers/terraform-provider-$p"
	overrides+="    \"hashicorp/$p\" = \"$work/providers\""$'\n'
done
cat >"$work/terraformrc" <<CFG
provider_installation {
  dev_overrides {
$overrides  }
  # Nothing else may be installed: an unknown provider fails init instead of reaching a registry.
  filesystem_mirror {
    path    = "$work/no-mirror"
    include = ["example.invalid/*/*"]
  }
}
CFG
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_WORKSPACE TF_CLI_ARGS

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() {
	echo "FAIL $1"
	sed 's/^/     /' "$2"
	failed=$((failed + 1))
}
# run NAME CMD...: runs CMD with its output in a log, shown only when it fails.
run() {
	local name=$1 log="$work/log"
	shift
	if "$@" >"$log" 2>&1; then ok "$name"; else fail "$name" "$log"; fi
}

dirs=("$work"/infra/bootstrap "$work"/infra/envs "$work"/infra/modules/*)
rel() { echo "${1#"$work"/}"; }
# ONLY=infra/modules/network limits validate/test/docs to the folders whose path contains it.
if [ -n "${ONLY:-}" ]; then
	keep=()
	for d in "${dirs[@]}"; do [[ $(rel "$d") == *"$ONLY"* ]] && keep+=("$d"); done
	dirs=(${keep[@]+"${keep[@]}"})
fi

# With dev_overrides, `terraform init` would still look the overridden providers up, so the
# working directory is prepared with `terraform get` (local module calls only) instead.
prepare() { "$TERRAFORM" -chdir="$1" get -no-color; }

check_validate() {
	prepare "$1" && "$TERRAFORM" -chdir="$1" validate -no-color
}

# The module's README.md as terraform-docs writes it (between the markers of .terraform-docs.yml),
# compared with the committed one.
check_docs() {
	local d=$1
	"$TERRAFORM_DOCS" -c "$work/infra/.terraform-docs.yml" "$d" >/dev/null || return 1
	diff -u "$root/$(rel "$d")/README.md" "$d/README.md" || { echo "run: make docs" && return 1; }
}

resources_md() {
	(cd "$root/platform" && go run ./cmd/resourcesgen -root "$root" -terraform-docs "$TERRAFORM_DOCS")
}

check_resources() {
	resources_md >"$work/resources.md" || return 1
	diff -u "$root/docs/resources.md" "$work/resources.md" || { echo "run: make docs" && return 1; }
}

# terraform test of one folder; the environment root is tested once per variable file.
check_test() {
	local d=$1 vf
	if [ "$(rel "$d")" = infra/envs ]; then
		for vf in "$d"/*.tfvars; do
			run "terraform test $(rel "$d") -var-file=$(basename "$vf")" "$TERRAFORM" -chdir="$d" test -no-color -var-file="$(basename "$vf")"
		done
	else
		run "terraform test $(rel "$d")" "$TERRAFORM" -chdir="$d" test -no-color
	fi
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(fmt validate test tflint docs resources)
for step in "${steps[@]}"; do
	case $step in
	fmt)
		run "terraform fmt -check infra/" "$TERRAFORM" fmt -check -recursive -diff -no-color "$work/infra"
		;;
	validate)
		for d in "${dirs[@]}"; do run "terraform validate $(rel "$d")" check_validate "$d"; done
		;;
	test)
		for d in "${dirs[@]}"; do
			[ -d "$d/tests" ] || continue
			[ -d "$d/.terraform" ] || prepare "$d" >/dev/null
			check_test "$d"
		done
		;;
	tflint)
		: "${TFLINT:?}" "${TFLINT_PLUGIN_DIR:?}"
		run "tflint infra/" env TFLINT_PLUGIN_DIR="$TFLINT_PLUGIN_DIR" \
			"$TFLINT" --chdir="$work/infra" --recursive --config="$work/infra/.tflint.hcl" --no-color
		;;
	docs)
		: "${TERRAFORM_DOCS:?}"
		for d in "${dirs[@]}"; do
			[[ $(rel "$d") == infra/modules/* ]] && run "terraform-docs $(rel "$d")/README.md" check_docs "$d"
		done
		;;
	resources)
		: "${TERRAFORM_DOCS:?}"
		run "docs/resources.md up to date" check_resources
		;;
	docs-write)
		: "${TERRAFORM_DOCS:?}"
		for d in "$root"/infra/modules/*; do "$TERRAFORM_DOCS" -c "$root/infra/.terraform-docs.yml" "$d"; done
		resources_md >"$work/resources.md" && cp "$work/resources.md" "$root/docs/resources.md"
		echo "wrote docs/resources.md"
		;;
	*)
		echo "unknown step $step (fmt, validate, test, tflint, docs)" >&2
		exit 2
		;;
	esac
done

echo "terraform checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
