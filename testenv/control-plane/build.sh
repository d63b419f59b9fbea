#!/usr/bin/env bash
# Builds the binaries of the local control plane from upstream Go modules:
#   kube-apiserver, kubectl  k8s.io/kubernetes  (testenv/control-plane/kube)
#   etcd                     go.etcd.io/etcd     (testenv/control-plane/etcd)
#   helm                     helm.sh/helm/v4     (testenv/helm)
#
# Usage: build.sh [--force] [kube|etcd|helm ...]   (default: all three groups)
#
# Binaries land in $ALIGNSYNC_CACHE/bin (default <repo>/.cache/bin). A group is
# skipped when its binaries exist and its stamp file matches the pinned version
# and go.mod/go.sum, so bumping a version in a go.mod rebuilds it.
#
# Environment: ALIGNSYNC_CACHE, GOFLAGS (e.g. -p=1 for lower peak memory),
# EXTRA_BUILD_FLAGS (appended to every `go build`).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/paths.sh
source "$script_dir/lib/paths.sh"
stamp_dir="$bin_dir/.stamps"

# The machine's Go only: never fetch a toolchain, static binaries, no VCS lookup.
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false -mod=readonly"

force=0
groups=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    kube | etcd | helm) groups+=("$arg") ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
[[ ${#groups[@]} -gt 0 ]] || groups=(kube etcd helm)

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Prints the version the module in dir $1 requires of module $2.
pinned_version() {
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

# Prints what a group's stamp must contain: its label and a hash of its pins.
stamp_text() {
  local label=$1 module_dir=$2
  printf '%s %s\n' "$label" "$(cat "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -c1-16)"
}

# True when every named binary exists and the group's stamp matches.
up_to_date() {
  local group=$1 expected=$2
  shift 2
  [[ $force -eq 0 ]] || return 1
  [[ -f "$stamp_dir/$group" && "$(cat "$stamp_dir/$group")" == "$expected" ]] || return 1
  local name
  for name in "$@"; do
    [[ -x "$bin_dir/$name" ]] || return 1
  done
}

# build_group GROUP MODULE_DIR LABEL "NAMES" LDFLAGS TAGS PACKAGE...
# Compiles all packages in one `go build` so shared packages compile once, into a
# scratch dir first so a failed build never leaves a binary without its stamp.
build_group() {
  local group=$1 module_dir=$2 label=$3 names=$4 ldflags=$5 tags=$6
  shift 6
  local expected
  expected="$(stamp_text "$label" "$module_dir")"
  rm -rf "$bin_dir/.build-$group".* # left by an interrupted run
  # shellcheck disable=SC2086 # names is a space-separated list on purpose
  if up_to_date "$group" "$expected" $names; then
    log "$names: $label already built, skipping"
    return 0
  fi

  # A build of the same pins made from another checkout on this machine is reused.
  local shared="$machine_cache/$(printf '%s' "$expected" | sha256sum | cut -c1-16)"
  if [[ $force -eq 0 && -f "$shared/.complete" ]]; then
    local name
    for name in $names; do
      cp -f "$shared/$name" "$bin_dir/$name"
    done
    printf '%s\n' "$expected" >"$stamp_dir/$group"
    log "$names: $label copied from $shared"
    return 0
  fi

  log "$names: building $label ..."
  local started=$SECONDS scratch output
  scratch="$(mktemp -d "$bin_dir/.build-$group.XXXXXX")"
  # A lone package is named explicitly: go would call go.etcd.io/etcd/server/v3 "server".
  output="$scratch/"
  [[ $# -gt 1 ]] || output="$scratch/$names"
  # shellcheck disable=SC2086 # EXTRA_BUILD_FLAGS is split into flags on purpose
  if ! (cd "$module_dir" && go build -trimpath -tags "$tags" -ldflags "$ldflags" \
    ${EXTRA_BUILD_FLAGS:-} -o "$output" "$@"); then
    rm -rf "$scratch"
    log "$names: build FAILED after $((SECONDS - started))s"
    return 1
  fi

  local name
  for name in $names; do
    mv -f "$scratch/$name" "$bin_dir/$name"
  done
  rm -rf "$scratch"
  printf '%s\n' "$expected" >"$stamp_dir/$group"
  mkdir -p "$shared"
  for name in $names; do
    cp -f "$bin_dir/$name" "$shared/$name"
  done
  touch "$shared/.complete"
  local elapsed=$((SECONDS - started))
  log "$names: built $label in ${elapsed}s ($((elapsed / 60))m$((elapsed % 60))s)"
}

build_kube() {
  local dir="$script_dir/kube" version
  version="$(pinned_version "$dir" k8s.io/kubernetes)"
  local minor=${version#v1.}
  minor=${minor%%.*}
  local ldflags="-s -w" key value pkg
  for key in gitVersion=$version gitMajor=1 gitMinor=$minor gitTreeState=clean \
    buildDate=1970-01-01T00:00:00Z; do
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.${key%%=*}=${key#*=}"
    done
  done
  # The tags match upstream release builds: no test hooks, no gRPC tracing.
  build_group kube "$dir" "k8s.io/kubernetes@$version" "kube-apiserver kubectl" \
    "$ldflags" "selinux,notest,grpcnotrace" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  local dir="$script_dir/etcd" version
  version="$(pinned_version "$dir" go.etcd.io/etcd/server/v3)"
  build_group etcd "$dir" "go.etcd.io/etcd/server/v3@$version" "etcd" "-s -w" "" \
    go.etcd.io/etcd/server/v3
}

build_helm() {
  local dir="$repo_root/testenv/helm" version
  version="$(pinned_version "$dir" helm.sh/helm/v4)"
  build_group helm "$dir" "helm.sh/helm/v4@$version" "helm" \
    "-s -w -X helm.sh/helm/v4/internal/version.version=$version \
-X helm.sh/helm/v4/internal/version.gitTreeState=clean" "" \
    helm.sh/helm/v4/cmd/helm
}

# Binaries are also kept outside the checkout, so a fresh clone (as CI makes) reuses them.
machine_cache="${ALIGNSYNC_MACHINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alignsync/bin}"
mkdir -p "$bin_dir" "$stamp_dir"
log "go $(go env GOVERSION), GOFLAGS='${GOFLAGS# }', $(nproc) cores, output $bin_dir"
total_started=$SECONDS
for group in "${groups[@]}"; do
  "build_$group"
done
log "done in $((SECONDS - total_started))s"
