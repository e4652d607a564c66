# Fake kubectl for scripts/restore-drill.sh: a replica set whose data is two files in
# $FAKE_STATE/db (markers, one _id a line; orders, a count), a backup that snapshots them and a
# restore that copies the snapshot back. As strict as the operator where the drill depends on it:
# a restore of a backup that is not ready fails, mongosh refuses a wrong password, an unknown call
# fails. Knobs: FAKE_PASSWORD (the operator's), FAKE_BACKUP_END (ready|error), FAKE_RESTORE_NOOP=1
# (the restore reports ready but restores nothing), FAKE_WRITES_DURING_BACKUP (orders added after
# the snapshot, like live traffic).
set -euo pipefail
db=$FAKE_STATE/db
mkdir -p "$db" "$FAKE_STATE/objects"
[[ -f $db/orders ]] || echo "${FAKE_ORDERS:-5}" >"$db/orders"
touch "$db/markers"
fail() { echo "fake kubectl: $*" >&2; exit 1; }

[[ ${1:-} == --context ]] && shift 2
[[ ${1:-} == config && ${2:-} == current-context ]] && { echo fake-dev; exit 0; }
[[ ${1:-} == -n ]] || fail "want -n NAMESPACE first: $*"
ns=$2
shift 2
[[ $ns == mongodb ]] || fail "namespace $ns"

case $1 in
  get)
    what=$2
    if [[ $what == secret ]]; then
      [[ $3 == orders-mongodb-custom-user-secret ]] || fail "no secret $3"
      printf '%s' "${FAKE_SECRET_PASSWORD:-$FAKE_PASSWORD}" | base64 | tr -d '\n'
      exit 0
    fi
    kind=${what%%/*} name=${what#*/}
    path=${4#jsonpath=}
    [[ $3 == -o ]] || fail "get without -o: $*"
    case $kind in
      perconaservermongodb) [[ $name == orders-mongodb ]] || fail "no cluster $name"; [[ $path == '{.status.state}' ]] && echo -n ready; exit 0 ;;
      perconaservermongodbbackup | perconaservermongodbrestore)
        f=$FAKE_STATE/objects/$kind.$name
        [[ -f $f ]] || fail "Error from server (NotFound): $kind $name"
        case $path in
          '{.status.state}') echo -n "$(<"$f")" ;;
          '{.status.error}') echo -n "fake: storage s3 unreachable" ;;
          *) fail "jsonpath $path" ;;
        esac
        exit 0
        ;;
    esac
    fail "get $what"
    ;;
  apply)
    [[ $2 == -f && $3 == - ]] || fail "apply $*"
    obj=$(cat)
    kind=$(sed -n 's/^kind: //p' <<<"$obj")
    name=$(sed -n 's/^  name: //p' <<<"$obj" | head -1)
    grep -q '^  clusterName: orders-mongodb$' <<<"$obj" || fail "$kind $name: no clusterName orders-mongodb"
    grep -q '^  namespace: mongodb$' <<<"$obj" || fail "$kind $name: no namespace"
    case $kind in
      PerconaServerMongoDBBackup)
        grep -q '^  storageName: s3$' <<<"$obj" || fail "backup $name: storageName is not the cluster's storage s3"
        rm -rf "$FAKE_STATE/snapshot.$name" && cp -r "$db" "$FAKE_STATE/snapshot.$name"
        echo "${FAKE_BACKUP_END:-ready}" >"$FAKE_STATE/objects/perconaservermongodbbackup.$name"
        echo $(($(<"$db/orders") + ${FAKE_WRITES_DURING_BACKUP:-0})) >"$db/orders"
        ;;
      PerconaServerMongoDBRestore)
        backup=$(sed -n 's/^  backupName: //p' <<<"$obj")
        if [[ $(cat "$FAKE_STATE/objects/perconaservermongodbbackup.$backup" 2>/dev/null) != ready ]]; then
          echo error >"$FAKE_STATE/objects/perconaservermongodbrestore.$name"
        else
          [[ ${FAKE_RESTORE_NOOP:-} == 1 ]] || { rm -rf "$db" && cp -r "$FAKE_STATE/snapshot.$backup" "$db"; }
          echo ready >"$FAKE_STATE/objects/perconaservermongodbrestore.$name"
        fi
        ;;
      *) fail "apply of kind $kind" ;;
    esac
    echo "$kind/$name created"
    ;;
  exec)
    [[ $2 == -i && $3 == orders-mongodb-rs0-0 && $4 == -c && $5 == mongod && $6 == -- && $7 == mongosh ]] || fail "exec $*"
    input=$(cat)
    first=$(head -1 <<<"$input")
    pw=$(printf '%s' "$FAKE_PASSWORD" | sed 's/[\\"]/\\&/g')
    [[ $first == "db.getSiblingDB(\"admin\").auth(\"orders\", \"$pw\");" ]] || { echo "MongoServerError: Authentication failed."; exit 1; }
    sed -n 2p <<<"$input" | grep -q '^db = db.getSiblingDB("orders");$' || fail "not the orders database"
    js=$(sed -n '3,$p' <<<"$input")
    if [[ $js =~ restore_drill\.insertOne\(\{_id:\ \"([a-z0-9-]+)\" ]]; then
      echo "${BASH_REMATCH[1]}" >>"$db/markers"
      echo "DRILL ok"
    elif [[ $js =~ restore_drill\.countDocuments\(\{_id:\ \"([a-z0-9-]+)\"\}\) ]]; then
      echo "DRILL $(grep -cx "${BASH_REMATCH[1]}" "$db/markers" || true)"
    elif [[ $js == *'db.orders.countDocuments({})'* ]]; then
      echo "DRILL $(<"$db/orders")"
    else
      fail "unknown JS: $js"
    fi
    ;;
  *) fail "$*" ;;
esac
