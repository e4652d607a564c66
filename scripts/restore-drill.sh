#!/usr/bin/env bash
# Restore drill: proves that a backup of the orders replica set can be restored, and says how long
# each step takes (docs/mongodb.md "Restore drill").
#
#   1. the cluster is ready; a marker document A is written and the orders are counted
#   2. an on-demand backup (PerconaServerMongoDBBackup restore-drill-<id>) runs to `ready`
#   3. the orders are counted again and a marker B is written: B is newer than the backup
#   4. the backup is restored into the same cluster (PerconaServerMongoDBRestore restore-drill-<id>)
#   5. the cluster is ready again; then A must be there, B must be gone, and the number of orders
#      must lie between the two counts (a logical backup is a snapshot taken inside that window)
#
# The restore OVERWRITES the cluster's data with the backup: run it on dev (ENV=prod is refused).
#
# Usage: ENV=dev scripts/restore-drill.sh            (or: make restore-drill ENV=dev)
#        scripts/restore-drill.sh --print-manifests   (print the backup and restore objects, touch nothing)
# DRILL_ID names the objects (default: the UTC time, e.g. 20261126t1305); KUBE_CONTEXT picks the
# kubectl context. The application user's password is read from the operator's Secret and fed to
# mongosh on stdin: never on a command line, stdout, stderr or in git.
set -euo pipefail

kubectl_bin=${KUBECTL:-kubectl}
kube_context=${KUBE_CONTEXT:-}
db_namespace=${MONGODB_NAMESPACE:-mongodb}
cluster=${MONGODB_CLUSTER:-orders-mongodb}
replset=rs0
app_user=${MONGODB_USER:-orders}
app_database=${MONGODB_DATABASE:-orders}
storage=${BACKUP_STORAGE:-s3}
drill_id=${DRILL_ID:-$(date -u +%Y%m%dt%H%M%S)}
# Seconds to wait for the backup, the restore and the cluster; seconds between two looks.
wait_seconds=${WAIT_SECONDS:-3600}
poll_seconds=${POLL_SECONDS:-10}

die() {
  echo "restore-drill: $*" >&2
  exit 1
}

[[ $drill_id =~ ^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$ ]] ||
  die "DRILL_ID must be lower-case letters, digits and dashes, at most 40 (got '${drill_id}')"
name="restore-drill-${drill_id}"

# The objects the drill creates; `make e2e` submits exactly these to a real API server holding the
# operator's CRDs (server-side dry run), so their shape is checked on every change.
manifests() {
  cat <<EOF
apiVersion: psmdb.percona.com/v1
kind: PerconaServerMongoDBBackup
metadata:
  name: ${name}
  namespace: ${db_namespace}
  labels:
    app.kubernetes.io/part-of: orderstack
    orderstack/restore-drill: "${drill_id}"
spec:
  clusterName: ${cluster}
  storageName: ${storage}
  type: logical
---
apiVersion: psmdb.percona.com/v1
kind: PerconaServerMongoDBRestore
metadata:
  name: ${name}
  namespace: ${db_namespace}
  labels:
    app.kubernetes.io/part-of: orderstack
    orderstack/restore-drill: "${drill_id}"
spec:
  clusterName: ${cluster}
  backupName: ${name}
EOF
}

# manifest N prints the Nth object (0 backup, 1 restore).
manifest() {
  manifests | awk -v want="$1" 'BEGIN { n = 0 } /^---$/ { n++; next } n == want'
}

if [[ ${1:-} == --print-manifests ]]; then
  manifests
  exit 0
fi
[[ $# -eq 0 ]] || die "unknown argument '$1'; usage: ENV=dev scripts/restore-drill.sh [--print-manifests]"

case ${ENV:-} in
  dev) ;;
  prod) die "ENV=prod refused: the restore overwrites the cluster's data; drill on dev" ;;
  *) die "ENV must be dev (got '${ENV:-}'); usage: make restore-drill ENV=dev" ;;
esac

k() {
  if [[ -n $kube_context ]]; then
    "$kubectl_bin" --context "$kube_context" "$@"
  else
    "$kubectl_bin" "$@"
  fi
}

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

phase_name=''
phase_start=0
phase() {
  phase_end
  phase_name=$1
  phase_start=$SECONDS
  echo "restore-drill: == ${phase_name}"
}
phase_end() {
  if [[ -n $phase_name ]]; then
    local took=$((SECONDS - phase_start))
    echo "restore-drill: ${phase_name}: ${took}s"
    printf '%-34s %6ss\n' "$phase_name" "$took" >>"$work/timings"
  fi
  phase_name=''
}

# wait_state KIND NAME: poll .status.state until ready; error or rejected stops the drill.
wait_state() {
  local kind=$1 obj=$2 state deadline=$((SECONDS + wait_seconds))
  while :; do
    state=$(k -n "$db_namespace" get "${kind}/${obj}" -o jsonpath='{.status.state}' 2>/dev/null) || state=''
    case $state in
      ready) return 0 ;;
      error | rejected)
        die "${kind} ${db_namespace}/${obj} is in state ${state}: $(k -n "$db_namespace" get "${kind}/${obj}" -o jsonpath='{.status.error}' 2>/dev/null || true)"
        ;;
    esac
    ((SECONDS < deadline)) || die "${kind} ${db_namespace}/${obj} not ready after ${wait_seconds}s (state '${state:-none}')"
    sleep "$poll_seconds"
  done
}

# The application user's password, from the operator's Secret, into a file only we can read.
user_secret="${cluster}-custom-user-secret"
if ! k -n "$db_namespace" get secret "$user_secret" -o go-template="{{index .data \"${app_user}\"}}" >"$work/password.b64" 2>/dev/null ||
  [[ ! -s $work/password.b64 || $(<"$work/password.b64") == '<no value>' ]]; then
  die "cannot read key ${app_user} of Secret ${db_namespace}/${user_secret}"
fi
base64 -d <"$work/password.b64" >"$work/password" || die "key ${app_user} of Secret ${db_namespace}/${user_secret} is not base64"
rm -f "$work/password.b64"

# mongo JS: runs JS in mongosh inside the first member, connected to the replica set (so writes
# reach the primary), authenticated on stdin. Prints only the lines the JS prints with "DRILL ".
mongo() {
  local pw
  pw=$(sed 's/[\\"]/\\&/g' "$work/password")
  {
    printf 'db.getSiblingDB("admin").auth("%s", "%s");\n' "$app_user" "$pw"
    printf 'db = db.getSiblingDB("%s");\n' "$app_database"
    printf '%s\n' "$1"
  } | k -n "$db_namespace" exec -i "${cluster}-${replset}-0" -c mongod -- \
    mongosh --quiet --norc "mongodb://localhost:27017/?replicaSet=${replset}" >"$work/mongo.out" 2>&1 ||
    die "mongosh failed: $(grep -v -i 'auth' "$work/mongo.out" | tail -3)"
  sed -n 's/^DRILL //p' "$work/mongo.out"
}

count_js='print("DRILL " + db.orders.countDocuments({}));'
marker_js() { printf 'db.restore_drill.insertOne({_id: "%s-%s", at: new Date()}, {writeConcern: {w: "majority"}}); print("DRILL ok");' "$drill_id" "$1"; }
has_js() { printf 'print("DRILL " + db.restore_drill.countDocuments({_id: "%s-%s"}));' "$drill_id" "$1"; }

context_name=${kube_context:-$(k config current-context 2>/dev/null || echo '(none)')}
echo "restore-drill: ENV=${ENV}, kubectl context ${context_name}, cluster ${db_namespace}/${cluster}, drill ${drill_id}"
drill_start=$SECONDS

phase "cluster ready"
wait_state perconaservermongodb "$cluster"

phase "marker A, count orders"
[[ $(mongo "$(marker_js before)") == ok ]] || die "could not write marker A"
count_before=$(mongo "$count_js")
[[ $count_before =~ ^[0-9]+$ ]] || die "could not count orders (got '${count_before}')"
echo "restore-drill: ${count_before} orders"

phase "backup ${name}"
manifest 0 | k -n "$db_namespace" apply -f - >/dev/null
wait_state perconaservermongodbbackup "$name"

phase "count orders, marker B"
count_after=$(mongo "$count_js")
[[ $count_after =~ ^[0-9]+$ ]] || die "could not count orders (got '${count_after}')"
[[ $(mongo "$(marker_js after)") == ok ]] || die "could not write marker B"

phase "restore ${name}"
manifest 1 | k -n "$db_namespace" apply -f - >/dev/null
wait_state perconaservermongodbrestore "$name"

phase "cluster ready after restore"
wait_state perconaservermongodb "$cluster"

phase "verify"
a=$(mongo "$(has_js before)")
b=$(mongo "$(has_js after)")
count_restored=$(mongo "$count_js")
failed=0
[[ $a == 1 ]] || { echo "restore-drill: marker A (written before the backup) is missing after the restore" >&2; failed=1; }
[[ $b == 0 ]] || { echo "restore-drill: marker B (written after the backup) survived the restore: nothing was restored" >&2; failed=1; }
if ! [[ $count_restored =~ ^[0-9]+$ ]] || ((count_restored < count_before || count_restored > count_after)); then
  echo "restore-drill: ${count_restored} orders after the restore, want ${count_before}..${count_after}" >&2
  failed=1
fi
phase_end

echo "restore-drill: phase durations"
cat "$work/timings"
printf '%-34s %6ss\n' "total" "$((SECONDS - drill_start))"
((failed == 0)) || die "FAILED; the backup and restore objects ${name} are kept for inspection"
echo "restore-drill: OK: ${count_restored} orders restored, marker A kept, marker B gone (objects ${name} kept; delete the backup with kubectl -n ${db_namespace} delete psmdb-backup ${name})"
