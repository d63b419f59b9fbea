#!/usr/bin/env bash
# The demo: the operator keeping a simulated Jira Align site in step with an OpenLDAP group,
# on a local Kubernetes control plane, with the bundled example company (examples/demo/).
#
#   bash scripts/demo.sh        install what is missing, start everything, sync, show status
#   bash scripts/demo.sh down   stop everything the demo started
#
# The first run builds kube-apiserver, etcd, kubectl and helm from their Go modules (about
# 10 to 15 minutes on 2 cores) and compiles the operator; later runs take well under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE="${ALIGNSYNC_CACHE:-$ROOT/.cache}"
STATE="$CACHE/demo"
BIN="$CACHE/bin"
OPERATOR="$ROOT/target/debug/jira-align-user-sync"
SIM_PORT=18080
LDAP_PORT=16389
LDAPS_PORT=16636
METRICS_ADDR=127.0.0.1:18081
NAMESPACE=demo
export KUBECONFIG="$CACHE/control-plane/kubeconfig"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

stop_pidfile() {
  local file=$1
  [[ -f "$file" ]] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    # SIGTERM lets a running sync finish (the operator allows it 25 s); then SIGKILL.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  step "stopping the demo"
  stop_pidfile "$STATE/operator.pid"
  stop_pidfile "$STATE/simulator.pid"
  if [[ -d "$STATE/ldap" ]]; then
    cargo run -q -p test-directories -- stop --state-dir "$STATE/ldap" >/dev/null || true
  fi
  bash testenv/control-plane/control-plane.sh down --wipe || true
  echo "stopped; logs are kept in $STATE"
}

if [[ "${1:-}" == "down" ]]; then
  down
  exit 0
fi

started=$(date +%s)
mkdir -p "$STATE"

step "installing Debian packages (OpenLDAP, openssl) if missing"
bash testenv/install-packages.sh

step "building the local control plane and Helm (first run only: about 10 to 15 minutes)"
bash testenv/control-plane/build.sh

step "building the operator, the Jira Align simulator and the directory tool"
cargo build --bins -p jira-align-user-sync -p jira-align-sim -p test-directories

step "starting the control plane (kube-apiserver and etcd on 127.0.0.1)"
bash testenv/control-plane/control-plane.sh up >/dev/null
# An operator left from an earlier demo stops first and the earlier resource goes (with any
# edits made while looking around), so nothing runs against the servers restarted below
# and an old Ready condition cannot stand in for this run's result.
stop_pidfile "$STATE/operator.pid"
"$BIN/kubectl" -n "$NAMESPACE" delete jiraalignusersync example-corp --ignore-not-found \
  --wait=true >/dev/null 2>&1 || true

step "starting OpenLDAP with the demo company (ldaps://127.0.0.1:$LDAPS_PORT)"
if [[ -d "$STATE/ldap" ]]; then
  "$ROOT/target/debug/test-directories" stop --state-dir "$STATE/ldap" >/dev/null || true
  rm -rf "$STATE/ldap"
fi
# ldap.env holds the bind and admin passwords: readable by this user only.
rm -f "$STATE/ldap.env"
(umask 077 && "$ROOT/target/debug/test-directories" openldap --state-dir "$STATE/ldap" \
  --ldif examples/demo/directory.ldif --port "$LDAP_PORT" --ldaps-port "$LDAPS_PORT" \
  > "$STATE/ldap.env")
CA_PEM=$(sed -n 's/^CA_PEM=//p' "$STATE/ldap.env")
BIND_PASSWORD=$(sed -n 's/^BIND_PASSWORD=//p' "$STATE/ldap.env")

step "starting the Jira Align simulator (http://127.0.0.1:$SIM_PORT)"
stop_pidfile "$STATE/simulator.pid"
"$ROOT/target/debug/jira-align-sim" --listen "127.0.0.1:$SIM_PORT" \
  --seed examples/demo/jira-align-seed.json > "$STATE/simulator.log" 2>&1 &
echo $! > "$STATE/simulator.pid"
for _ in $(seq 100); do
  curl -fsS --noproxy '*' "http://127.0.0.1:$SIM_PORT/__admin/state" >/dev/null 2>&1 && break
  sleep 0.1
done

step "installing the CRD and the Helm chart (ServiceAccount and RBAC)"
"$BIN/kubectl" apply --server-side -f crds/jiraalignusersync.yaml >/dev/null
"$BIN/kubectl" wait --for=condition=Established --timeout=60s \
  crd/jiraalignusersyncs.alignsync.dev >/dev/null
"$BIN/kubectl" create namespace alignsync-system --dry-run=client -o yaml \
  | "$BIN/kubectl" apply -f - >/dev/null
"$BIN/helm" upgrade --install alignsync charts/alignsync --namespace alignsync-system \
  --skip-crds --set replicas=0 >/dev/null

step "creating the demo namespace, Secrets and CA ConfigMap"
"$BIN/kubectl" create namespace "$NAMESPACE" --dry-run=client -o yaml \
  | "$BIN/kubectl" apply -f - >/dev/null
"$BIN/kubectl" -n "$NAMESPACE" create secret generic jira-align-token \
  --from-literal=token='user:1|demo-token-secret' --dry-run=client -o yaml \
  | "$BIN/kubectl" apply -f - >/dev/null
"$BIN/kubectl" -n "$NAMESPACE" create secret generic directory-bind \
  --from-literal=password="$BIND_PASSWORD" --dry-run=client -o yaml \
  | "$BIN/kubectl" apply -f - >/dev/null
"$BIN/kubectl" -n "$NAMESPACE" create configmap directory-ca --from-file=ca.pem="$CA_PEM" \
  --dry-run=client -o yaml | "$BIN/kubectl" apply -f - >/dev/null

step "starting the operator as the chart's ServiceAccount (metrics on $METRICS_ADDR)"
stop_pidfile "$STATE/operator.pid"
TOKEN=$("$BIN/kubectl" -n alignsync-system create token alignsync --duration=24h)
SERVER=$("$BIN/kubectl" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
CA_DATA=$("$BIN/kubectl" config view --raw --minify \
  -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
cat > "$STATE/operator.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$SERVER", certificate-authority-data: "$CA_DATA"}
users:
- name: alignsync
  user: {token: "$TOKEN"}
contexts:
- name: alignsync
  context: {cluster: local, user: alignsync}
current-context: alignsync
EOF
chmod 600 "$STATE/operator.kubeconfig"
# Only the demo's namespace: the local control plane may also hold the tests' namespaces.
KUBECONFIG="$STATE/operator.kubeconfig" "$OPERATOR" run --metrics-addr "$METRICS_ADDR" \
  --namespaces "$NAMESPACE" --lease-namespace alignsync-system > "$STATE/operator.log" 2>&1 &
echo $! > "$STATE/operator.pid"

step "applying examples/demo/sync.yaml and waiting for Ready"
"$BIN/kubectl" apply -f examples/demo/sync.yaml >/dev/null
if ! "$BIN/kubectl" -n "$NAMESPACE" wait --for=condition=Ready --timeout=120s \
  jiraalignusersync/example-corp >/dev/null; then
  echo "the sync did not become Ready; its status and the operator's last log lines:" >&2
  "$BIN/kubectl" -n "$NAMESPACE" get jiraalignusersync example-corp -o yaml >&2 || true
  tail -n 20 "$STATE/operator.log" >&2 || true
  exit 1
fi

step "result"
"$BIN/kubectl" -n "$NAMESPACE" get jiraalignusersyncs -o wide
echo
"$BIN/kubectl" -n "$NAMESPACE" get jiraalignusersync example-corp \
  -o jsonpath='{"directory members: "}{.status.directoryMembers}{"   jira align users: "}{.status.jiraAlignUsers}{"\nactions: "}{.status.actions}{"\n"}'

cat <<EOF

The demo took $(( $(date +%s) - started ))s. Everything listens on 127.0.0.1 only.

Look around:
  export KUBECONFIG=$KUBECONFIG
  alias kubectl=$BIN/kubectl
  kubectl -n $NAMESPACE describe jiraalignusersync example-corp     # conditions and events
  kubectl explain jiraalignusersync.spec.policy                     # every field, documented
  curl -s http://$METRICS_ADDR/metrics | grep ^alignsync_            # operator metrics
  curl -s http://127.0.0.1:$SIM_PORT/__admin/state | head -c 600     # the simulated site
  kubectl -n $NAMESPACE annotate jiraalignusersync example-corp alignsync.dev/sync-now="\$(date +%s)" --overwrite
  tail -f $STATE/operator.log

Stop it all:
  bash scripts/demo.sh down
EOF
