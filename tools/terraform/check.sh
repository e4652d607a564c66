#!/usr/bin/env bash
# Offline checks of infra/ with the real tools (make test-infra; docs/infra.md):
#   terraform fmt -check; terraform get + validate of every root and module, through terraform
#   test for every one with a tests/ folder (the environment root once per <env>.tfvars), which
#   validates it first; tflint with the AWS ruleset; the terraform-docs part of each module's README.md
#   and docs/resources.md (platform/cmd/resourcesgen over terraform-docs json) up to date.
# Providers are the schema stand-in (tools/tfschema) installed through a generated CLI
# configuration (dev_overrides), so nothing reaches a registry. Everything runs in a temporary
# copy of infra/: no .terraform, lock file or state lands in the tree.
# Needs TERRAFORM, TFSCHEMA, TFLINT, TFLINT_PLUGIN_DIR and TERRAFORM_DOCS (the Makefile sets them).
# Steps run side by side, JOBS (default: the cores) at a time; the report follows in order.
# Usage: [ONLY=infra/modules/x] [JOBS=n] tools/terraform/check.sh [fmt|validate|test|tflint|docs|resources ...]   (default: all)
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
# terraform (and the other tools, all Go) live seconds and collect garbage for some 15 % of their
# CPU at the default GOGC=100: at 400, edge's validate + test takes 15 % less CPU for 250 -> 450 MB
# at most. tfrun.Offline sets the same.
export GOGC="${GOGC:-400}"
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_WORKSPACE TF_CLI_ARGS

# run NAME CMD...: runs CMD with its output in a log, printed only when it fails; prints ok/FAIL.
run() {
	local name=$1 log
	shift
	log=$(mktemp "$work/log.XXXXXX")
	if "$@" >"$log" 2>&1; then echo "ok   $name"; else echo "FAIL $name" && sed 's/^/     /' "$log"; fi
}
# spawn CMD...: runs CMD in the background, at most JOBS (default: the cores) at a time, its
# output kept in order in $work/out.NNN; the report is printed when all are done.
jobs=${JOBS:-$(nproc)} n=0
spawn() {
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	"$@" >"$work/out.$(printf %03d $n)" 2>&1 &
	n=$((n + 1))
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

want() { [[ " ${steps[*]} " == *" $1 "* ]]; }

# terraform validate, or terraform test where the folder has tests/ (the environment root once
# per variable file): one job per folder, as both use its .terraform. terraform test validates
# the folder itself: every run block first calls the same Context.Validate on the folder's
# configuration, without variables, that terraform validate calls (terraform 1.13.5,
# internal/moduletest/graph/node_test_run.go, testValidate; no run here names another module),
# and fails on its errors; a separate validate would only repeat it.
check_folder() {
	local d=$1 vf tested=
	want test && [ -d "$d/tests" ] && tested=1
	if want validate && [ -z "$tested" ]; then run "terraform validate $(rel "$d")" check_validate "$d"; else prepare "$d" >/dev/null; fi
	[ -n "$tested" ] || return 0
	if [ "$(rel "$d")" = infra/envs ]; then
		for vf in "$d"/*.tfvars; do
			run "terraform validate + test $(rel "$d") -var-file=$(basename "$vf")" "$TERRAFORM" -chdir="$d" test -no-color -var-file="$(basename "$vf")"
		done
	else
		run "terraform validate + test $(rel "$d")" "$TERRAFORM" -chdir="$d" test -no-color
	fi
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(fmt validate test tflint docs resources)
for step in "${steps[@]}"; do
	case $step in
	fmt)
		spawn run "terraform fmt -check infra/" "$TERRAFORM" fmt -check -recursive -diff -no-color "$work/infra"
		;;
	validate)
		for d in "${dirs[@]}"; do spawn check_folder "$d"; done # with its tests when test is a step
		;;
	test)
		want validate && continue # each folder's job tests it after validating
		for d in "${dirs[@]}"; do [ ! -d "$d/tests" ] || spawn check_folder "$d"; done
		;;
	tflint)
		: "${TFLINT:?}" "${TFLINT_PLUGIN_DIR:?}"
		spawn run "tflint infra/" env TFLINT_PLUGIN_DIR="$TFLINT_PLUGIN_DIR" \
			"$TFLINT" --chdir="$work/infra" --recursive --config="$work/infra/.tflint.hcl" --no-color
		;;
	docs)
		: "${TERRAFORM_DOCS:?}"
		for d in "${dirs[@]}"; do
			[[ $(rel "$d") == infra/modules/* ]] && spawn run "terraform-docs $(rel "$d")/README.md" check_docs "$d"
		done
		;;
	resources)
		: "${TERRAFORM_DOCS:?}"
		spawn run "docs/resources.md up to date" check_resources
		;;
	docs-write)
		: "${TERRAFORM_DOCS:?}"
		for d in "$root"/infra/modules/*; do "$TERRAFORM_DOCS" -c "$root/infra/.terraform-docs.yml" "$d"; done
		resources_md >"$work/resources.md" && cp "$work/resources.md" "$root/docs/resources.md"
		echo "wrote docs/resources.md"
		;;
	*)
		echo "unknown step $step (fmt, validate, test, tflint, docs, resources, docs-write)" >&2
		exit 2
		;;
	esac
done
wait
cat "$work"/out.* 2>/dev/null || true
passed=$(cat "$work"/out.* 2>/dev/null | grep -c '^ok ' || true)
failed=$(cat "$work"/out.* 2>/dev/null | grep -c '^FAIL ' || true)

echo "terraform checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
