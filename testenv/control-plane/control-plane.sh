#!/usr/bin/env bash
# Runs a local Kubernetes control plane: one etcd and one kube-apiserver on loopback,
# no controller-manager, scheduler or kubelet. Binaries come from build.sh.
#
# Usage: control-plane.sh up | down [--wipe] | status | env
#
#   up      create the PKI once, start etcd and kube-apiserver, wait for /readyz,
#           write an admin kubeconfig and print `export KUBECONFIG=...`
#   down    stop both and wait for them to exit; --wipe also deletes the etcd data
#   status  show each process and whether the apiserver is ready
#   env     print the `export KUBECONFIG=...` line
#
# Environment (defaults in brackets):
#   ALIGNSYNC_CACHE              cache root [<repo>/.cache]
#   ALIGNSYNC_ETCD_CLIENT_PORT   etcd client port [23790]
#   ALIGNSYNC_ETCD_PEER_PORT     etcd peer port [23800]
#   ALIGNSYNC_APISERVER_PORT     kube-apiserver secure port [16443]
#   ALIGNSYNC_READY_TIMEOUT      seconds to wait for readiness [120]
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/paths.sh
source "$script_dir/lib/paths.sh"

etcd_client_port="${ALIGNSYNC_ETCD_CLIENT_PORT:-23790}"
etcd_peer_port="${ALIGNSYNC_ETCD_PEER_PORT:-23800}"
apiserver_port="${ALIGNSYNC_APISERVER_PORT:-16443}"
ready_timeout="${ALIGNSYNC_READY_TIMEOUT:-120}"
etcd_url="http://127.0.0.1:$etcd_client_port"
apiserver_url="https://127.0.0.1:$apiserver_port"

# shellcheck source=lib/pki.sh
source "$script_dir/lib/pki.sh"
# shellcheck source=lib/process.sh
source "$script_dir/lib/process.sh"

etcd_healthy() {
  curl --noproxy '*' -fsS --max-time 2 "$etcd_url/health" 2>/dev/null | grep -q '"health":"true"'
}

apiserver_ready() {
  [[ -f "$pki_dir/admin.crt" ]] || return 1
  curl --noproxy '*' -fsS --max-time 3 --cacert "$pki_dir/ca.crt" \
    --cert "$pki_dir/admin.crt" --key "$pki_dir/admin.key" \
    "$apiserver_url/readyz" 2>/dev/null | grep -qx ok
}

start_etcd() {
  mkdir -p "$etcd_data"
  chmod 700 "$etcd_data"
  # fsync is skipped: the data is disposable and fsync dominates etcd latency on CI disks.
  process_start etcd "$bin_dir/etcd" \
    --name=alignsync-local \
    --data-dir="$etcd_data" \
    --listen-client-urls="$etcd_url" \
    --advertise-client-urls="$etcd_url" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="alignsync-local=http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster-state=new \
    --unsafe-no-fsync \
    --log-level=warn
  wait_until etcd "etcd health" 30 etcd_healthy
}

start_apiserver() {
  # The service range is only a config value: nothing serves or routes it here.
  # The ServiceAccount admission plugin is off because no controller creates the
  # `default` ServiceAccount it would demand for every Pod; the endpoint reconciler
  # is off because loopback addresses are not valid Endpoints.
  process_start kube-apiserver "$bin_dir/kube-apiserver" \
    --etcd-servers="$etcd_url" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$apiserver_port" \
    --tls-cert-file="$pki_dir/apiserver.crt" \
    --tls-private-key-file="$pki_dir/apiserver.key" \
    --client-ca-file="$pki_dir/ca.crt" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki_dir/sa.pub" \
    --service-account-signing-key-file="$pki_dir/sa.key" \
    --service-cluster-ip-range=10.96.0.0/24 \
    --disable-admission-plugins=ServiceAccount \
    --endpoint-reconciler-type=none \
    --profiling=false \
    --v=1
  wait_until kube-apiserver "kube-apiserver /readyz" "$ready_timeout" apiserver_ready
}

write_kubeconfig() {
  local ca cert key
  ca="$(base64 -w0 <"$pki_dir/ca.crt")"
  cert="$(base64 -w0 <"$pki_dir/admin.crt")"
  key="$(base64 -w0 <"$pki_dir/admin.key")"
  (
    umask 077
    cat >"$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: alignsync-local
    cluster:
      server: $apiserver_url
      certificate-authority-data: $ca
users:
  - name: alignsync-admin
    user:
      client-certificate-data: $cert
      client-key-data: $key
contexts:
  - name: alignsync-local
    context:
      cluster: alignsync-local
      user: alignsync-admin
current-context: alignsync-local
EOF
  )
}

print_env() {
  echo "export KUBECONFIG=$kubeconfig"
}

cmd_up() {
  local started binary
  started="$(now_ms)"
  for binary in etcd kube-apiserver; do
    [[ -x "$bin_dir/$binary" ]] || die "$bin_dir/$binary is missing: run $script_dir/build.sh"
  done

  if process_alive etcd && process_alive kube-apiserver && apiserver_ready; then
    echo "control plane already up at $apiserver_url"
    write_kubeconfig
    print_env
    return 0
  fi

  mkdir -p "$log_dir" "$run_dir"
  pki_ensure

  if process_alive etcd; then
    echo "etcd already running (pid $(process_pid etcd))"
  else
    port_free "$etcd_client_port" && port_free "$etcd_peer_port"
    start_etcd
  fi

  if process_alive kube-apiserver; then
    echo "kube-apiserver already running (pid $(process_pid kube-apiserver))"
    wait_until kube-apiserver "kube-apiserver /readyz" "$ready_timeout" apiserver_ready
  else
    port_free "$apiserver_port"
    start_apiserver
  fi

  write_kubeconfig
  echo "control plane up at $apiserver_url in $(since "$started")"
  print_env
}

cmd_down() {
  local wipe=0
  case "${1:-}" in
    "") ;;
    --wipe) wipe=1 ;;
    *) die "down: unknown option '$1'" ;;
  esac

  process_stop kube-apiserver
  process_stop etcd
  if [[ $wipe -eq 1 ]]; then
    rm -rf "$etcd_data"
    echo "etcd data deleted"
  fi
}

cmd_status() {
  local name
  for name in etcd kube-apiserver; do
    if process_alive "$name"; then
      echo "$name: running (pid $(process_pid "$name"))"
    else
      echo "$name: stopped"
    fi
  done
  echo "etcd $etcd_url: $(etcd_healthy && echo healthy || echo unreachable)"
  if apiserver_ready; then
    echo "kube-apiserver $apiserver_url: ready"
  else
    echo "kube-apiserver $apiserver_url: not ready"
    return 1
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down "${2:-}" ;;
  status) cmd_status ;;
  env) print_env ;;
  -h | --help | help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: control-plane.sh up | down [--wipe] | status | env" >&2; exit 2 ;;
esac
