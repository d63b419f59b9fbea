# shellcheck shell=bash
# Where the local control plane keeps its files; sourced by every script here after
# it sets $script_dir. Everything lives under $ALIGNSYNC_CACHE (default <repo>/.cache),
# which git ignores.

repo_root="$(cd "$script_dir/../.." && pwd)"
cache_dir="${ALIGNSYNC_CACHE:-$repo_root/.cache}"
bin_dir="$cache_dir/bin"
state_dir="$cache_dir/control-plane"
pki_dir="$state_dir/pki"
log_dir="$state_dir/logs"
run_dir="$state_dir/run"
etcd_data="$state_dir/etcd-data"
kubeconfig="$state_dir/kubeconfig"
