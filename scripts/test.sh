#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian bookworm machine with Rust and Go:
# installs the directory servers' packages, builds and starts the local Kubernetes control
# plane (the first build takes a while; later runs reuse the binaries in .cache/bin), then
# runs lint and the whole Rust test suite. Services it started are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

# A cold build with the test binaries needs about 4 GiB under target/; a linker that runs
# out of disk dies with a bus error, so say it plainly first.
free_kib=$(df -Pk . | awk 'NR==2 {print $4}')
if (( free_kib < 6 * 1024 * 1024 )); then
  printf 'warning: only %s MiB free on the disk holding %s; the build needs about 4 GiB\n' \
    "$(( free_kib / 1024 ))" "$ROOT" >&2
fi

step "installing Debian packages (slapd, Samba AD DC, openssl)"
bash testenv/install-packages.sh

step "building the local control plane and Helm (cached in .cache/bin)"
bash testenv/control-plane/build.sh

step "starting the local control plane"
bash testenv/control-plane/control-plane.sh up
export KUBECONFIG="$ROOT/.cache/control-plane/kubeconfig"

cleanup() {
  step "stopping services started for the tests"
  cargo run -q -p test-directories -- samba down >/dev/null 2>&1 || true
  bash testenv/control-plane/control-plane.sh down || true
}
trap cleanup EXIT

step "checking formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "running the test suite"
cargo test --workspace --locked --no-fail-fast

printf '\nall tests passed in %ss\n' "$(( $(date +%s) - started ))"
