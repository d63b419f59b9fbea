#!/usr/bin/env bash
# Checks that the local control plane serves what the operator's tests rely on:
#   1. a ServiceAccount token from the TokenRequest API (`kubectl create token`), which
#      works without a controller-manager;
#   2. RBAC on that token: one request allowed, one forbidden;
#   3. a CRD that becomes Established, and a CEL rule (x-kubernetes-validations)
#      that rejects a bad object at admission.
#
# Usage: smoke-test.sh        (after `control-plane.sh up`; safe to run repeatedly)
# Prints one PASS/FAIL line per check and exits non-zero if any failed.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/paths.sh
source "$script_dir/lib/paths.sh"
fixtures="$script_dir/fixtures"
namespace=alignsync-smoke
crd=syncwindows.smoke.alignsync.local

export KUBECONFIG="$kubeconfig"
kubectl() { "$bin_dir/kubectl" "$@"; }

failures=0
pass() { echo "PASS  $*"; }
fail() {
  echo "FAIL  $*"
  failures=$((failures + 1))
}

# Runs a kubectl command as the ServiceAccount. The kubeconfig holds only the cluster:
# with the admin kubeconfig, kubectl would send the admin client certificate along with
# --token and the apiserver would authenticate the certificate, not the token.
as_service_account() {
  kubectl --kubeconfig="$token_kubeconfig" --token="$token" "$@"
}

kubectl version | grep -v Kustomize

# RBAC objects are declarative, so reruns converge instead of failing on "exists".
kubectl apply -f "$fixtures/rbac.yaml" >/dev/null
token="$(kubectl create token config-reader -n "$namespace" --duration=10m)"
if [[ "$(cut -d. -f1 <<<"$token" | base64 -d 2>/dev/null)" == *'"alg":"RS256"'* ]]; then
  pass "TokenRequest issued an RS256 token for config-reader"
else
  fail "TokenRequest returned an unexpected token"
fi

token_kubeconfig="$(mktemp)"
trap 'rm -f "$token_kubeconfig"' EXIT
server="$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
kubectl --kubeconfig="$token_kubeconfig" config set-cluster local --server="$server" \
  --certificate-authority="$pki_dir/ca.crt" --embed-certs >/dev/null
kubectl --kubeconfig="$token_kubeconfig" config set-context local --cluster=local >/dev/null
kubectl --kubeconfig="$token_kubeconfig" config use-context local >/dev/null

identity="$(as_service_account auth whoami -o jsonpath='{.status.userInfo.username}')"
if [[ "$identity" == "system:serviceaccount:$namespace:config-reader" ]]; then
  pass "token authenticates as $identity"
else
  fail "token authenticates as '$identity'"
fi

allowed="$(as_service_account auth can-i list configmaps -n "$namespace" || true)"
denied="$(as_service_account auth can-i list secrets -n "$namespace" || true)"
if [[ "$allowed" == yes && "$denied" == no ]]; then
  pass "can-i: list configmaps=yes, list secrets=no"
else
  fail "can-i: list configmaps=$allowed (want yes), list secrets=$denied (want no)"
fi

if as_service_account get configmaps -n "$namespace" >/dev/null 2>&1; then
  pass "allowed request: get configmaps -n $namespace"
else
  fail "allowed request: get configmaps -n $namespace was refused"
fi
forbidden="$(as_service_account get secrets -n "$namespace" 2>&1 || true)"
if [[ "$forbidden" == *Forbidden* || "$forbidden" == *forbidden* ]]; then
  pass "forbidden request: get secrets -n $namespace -> Forbidden"
else
  fail "forbidden request: get secrets gave: $forbidden"
fi

kubectl apply -f "$fixtures/sync-window-crd.yaml" >/dev/null
if kubectl wait --for=condition=Established --timeout=30s "crd/$crd" >/dev/null; then
  pass "CRD $crd established"
else
  fail "CRD $crd not established within 30s"
fi

# Discovery can lag the Established condition by a moment, so the valid object retries.
accepted=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if kubectl apply -f "$fixtures/sync-window-good.yaml" >/dev/null 2>&1; then
    accepted=1
    break
  fi
  sleep 1
done
if [[ $accepted -eq 1 ]]; then
  pass "valid SyncWindow accepted"
else
  fail "valid SyncWindow rejected: $(kubectl apply -f "$fixtures/sync-window-good.yaml" 2>&1)"
fi

rejection="$(kubectl apply -f "$fixtures/sync-window-bad.yaml" 2>&1 || true)"
if [[ "$rejection" == *"minMembers must not exceed maxMembers"* ]]; then
  pass "CEL rule rejected the invalid SyncWindow at admission"
else
  fail "invalid SyncWindow was not rejected by the CEL rule: $rejection"
fi

echo "smoke test: $failures failure(s)"
[[ $failures -eq 0 ]]
