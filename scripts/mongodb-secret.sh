#!/usr/bin/env bash
# Creates or updates Secret orders-secrets (namespace orders) for the order service:
#   MONGODB_URL     the replica set URI with the operator-generated password of user `orders`
#   ADMIN_TOKEN     kept if the Secret already has one, else 32 random bytes as hex
#   MONGODB_CA_CRT  the CA of the replica set's TLS certificates (public), for tlsCAFile
# The password goes from the operator's Secret to the new Secret through files only readable by
# this user and a pipe into `kubectl apply`: never on a command line, stdout, stderr or in git.
#
# Usage: ENV=dev|prod scripts/mongodb-secret.sh   (or: make mongodb-secret ENV=dev)
# The kubectl context is the current one unless KUBE_CONTEXT is set. Other settings, with their
# defaults, are read from the environment below; docs/mongodb.md explains them.
set -euo pipefail

env_name=${ENV:-}
kubectl_bin=${KUBECTL:-kubectl}
kube_context=${KUBE_CONTEXT:-}
db_namespace=${MONGODB_NAMESPACE:-mongodb}
cluster=${MONGODB_CLUSTER:-orders-mongodb}
replset=rs0
app_user=${MONGODB_USER:-orders}
app_database=${MONGODB_DATABASE:-orders}
app_namespace=${APP_NAMESPACE:-orders}
app_secret=${APP_SECRET:-orders-secrets}
# verify: TLS with the cluster CA (the app mounts MONGODB_CA_CRT at MONGODB_CA_FILE);
# insecure: TLS without certificate checks; off: no TLS, refused by the chart's default
# tlsMode requireTLS (only for a cluster installed with tlsMode preferTLS).
tls_mode=${MONGODB_TLS:-verify}
ca_file=${MONGODB_CA_FILE:-/etc/orders/mongodb/ca.crt}
# Seconds to wait for the cluster to report ready, and then for the operator to create the
# user's Secret; seconds between two looks.
wait_seconds=${WAIT_SECONDS:-900}
secret_wait=${SECRET_WAIT_SECONDS:-120}
poll_seconds=${POLL_SECONDS:-10}

die() {
  echo "mongodb-secret: $*" >&2
  exit 1
}

case $env_name in
  dev | prod) ;;
  *) die "ENV must be dev or prod (got '${env_name}'); usage: make mongodb-secret ENV=dev" ;;
esac
case $tls_mode in
  verify | insecure | off) ;;
  *) die "MONGODB_TLS must be verify, insecure or off (got '${tls_mode}')" ;;
esac
[[ $ca_file =~ ^/[A-Za-z0-9._/-]+$ ]] || die "MONGODB_CA_FILE must be an absolute path of [A-Za-z0-9._/-] (got '${ca_file}')"

k() {
  if [[ -n $kube_context ]]; then
    "$kubectl_bin" --context "$kube_context" "$@"
  else
    "$kubectl_bin" "$@"
  fi
}

# urlencode percent-encodes everything but RFC 3986 unreserved characters (for the userinfo).
urlencode() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c" && out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

context_name=${kube_context:-$(k config current-context 2>/dev/null || echo '(none)')}
echo "mongodb-secret: ENV=${env_name}, kubectl context ${context_name}"

# Polled rather than `kubectl wait`, which gives up at once while the operator has not yet
# written any status.
echo "mongodb-secret: waiting up to ${wait_seconds}s for PerconaServerMongoDB ${db_namespace}/${cluster} to be ready"
deadline=$((SECONDS + wait_seconds))
while :; do
  state=$(k -n "$db_namespace" get "perconaservermongodb/${cluster}" -o jsonpath='{.status.state}' 2>/dev/null) || state=''
  [[ $state == ready ]] && break
  ((SECONDS < deadline)) ||
    die "PerconaServerMongoDB ${db_namespace}/${cluster} is not ready (state '${state:-none}'; kubectl -n ${db_namespace} describe psmdb ${cluster})"
  sleep "$poll_seconds"
done

size=$(k -n "$db_namespace" get "perconaservermongodb/${cluster}" \
  -o jsonpath="{.spec.replsets[?(@.name==\"${replset}\")].size}")
[[ $size =~ ^[1-9][0-9]*$ ]] || die "replica set ${replset} of ${cluster} has no size (got '${size}')"

user_secret="${cluster}-custom-user-secret"
deadline=$((SECONDS + secret_wait))
until k -n "$db_namespace" get secret "$user_secret" \
  -o go-template="{{index .data \"${app_user}\"}}" >"$work/password.b64" 2>/dev/null &&
  [[ -s $work/password.b64 && $(<"$work/password.b64") != '<no value>' ]]; do
  ((SECONDS < deadline)) || die "Secret ${db_namespace}/${user_secret} has no key ${app_user}: is user ${app_user} in the cluster's spec.users?"
  sleep "$poll_seconds"
done
password=$(base64 -d <"$work/password.b64") || die "key ${app_user} of Secret ${db_namespace}/${user_secret} is not base64"
[[ -n $password ]] || die "key ${app_user} of Secret ${db_namespace}/${user_secret} is empty"

hosts=''
for ((i = 0; i < size; i++)); do
  hosts+="${hosts:+,}${cluster}-${replset}-${i}.${cluster}-${replset}.${db_namespace}.svc.cluster.local:27017"
done
options="replicaSet=${replset}&authSource=admin"
case $tls_mode in
  verify)
    k -n "$db_namespace" get secret "${cluster}-ssl" -o go-template='{{index .data "ca.crt"}}' >"$work/ca.b64" ||
      die "cannot read the CA of Secret ${db_namespace}/${cluster}-ssl"
    base64 -d <"$work/ca.b64" >"$work/MONGODB_CA_CRT" || die "ca.crt of Secret ${db_namespace}/${cluster}-ssl is not base64"
    grep -q -- '-----BEGIN CERTIFICATE-----' "$work/MONGODB_CA_CRT" || die "Secret ${db_namespace}/${cluster}-ssl has no PEM ca.crt"
    options+="&tls=true&tlsCAFile=${ca_file}"
    ;;
  insecure) options+='&tls=true&tlsInsecure=true' ;;
  off) options+='&tls=false' ;;
esac
printf 'mongodb://%s:%s@%s/%s?%s' "$(urlencode "$app_user")" "$(urlencode "$password")" \
  "$hosts" "$app_database" "$options" >"$work/MONGODB_URL"
unset password

# Keep the admin token across runs: rotating it is a deliberate act (delete the key first).
k -n "$app_namespace" get secret "$app_secret" --ignore-not-found \
  -o go-template='{{with .data}}{{with index . "ADMIN_TOKEN"}}{{.}}{{end}}{{end}}' >"$work/token.b64"
if [[ -s $work/token.b64 ]]; then
  base64 -d <"$work/token.b64" >"$work/ADMIN_TOKEN" || die "ADMIN_TOKEN of Secret ${app_namespace}/${app_secret} is not base64"
  echo "mongodb-secret: keeping the existing ADMIN_TOKEN"
else
  od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' >"$work/ADMIN_TOKEN"
  echo "mongodb-secret: generated a new ADMIN_TOKEN"
fi

keys=(MONGODB_URL ADMIN_TOKEN)
if [[ $tls_mode == verify ]]; then
  keys+=(MONGODB_CA_CRT)
fi
from_files=()
for key in "${keys[@]}"; do
  from_files+=("--from-file=${key}=${work}/${key}")
done
k -n "$app_namespace" create secret generic "$app_secret" "${from_files[@]}" \
  --dry-run=client -o yaml |
  k apply -f - >/dev/null
echo "mongodb-secret: Secret ${app_namespace}/${app_secret} applied: keys ${keys[*]}; ${size} members of ${replset}, tls=${tls_mode}"
echo "mongodb-secret: running pods read it at start: kubectl -n ${app_namespace} rollout restart deployment/orders"
