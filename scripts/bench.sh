#!/usr/bin/env bash
# The enterprise-scale benchmark (`just bench`): installs the directory servers if missing,
# builds release binaries of the operator and of the benchmark, runs every scenario with our
# client and with the baseline configuration, and writes docs/benchmarks.md.
#
#   bash scripts/bench.sh              the full run (about 20 minutes on 2 cores; the first
#                                      run adds about 5 minutes to create the AD accounts)
#   bash scripts/bench.sh --quick      a tenth of every size, report under .cache/bench/
#   bash scripts/bench.sh --skip-ad    without the Samba AD scenarios
#
# Extra arguments go to `alignsync-bench run`. The benchmark stops the OpenLDAP servers and
# the simulator it starts; it stops the shared Samba DC only if the DC was not running before.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "installing Debian packages (OpenLDAP, Samba, LDAP tools, GNU time) if missing"
bash testenv/install-packages.sh
# GNU time measures each sync's CPU time and peak memory.
if [[ ! -x /usr/bin/time ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null
fi

step "building release binaries of the operator and the benchmark"
cargo build --release -p jira-align-user-sync --bin jira-align-user-sync
cargo build --release -p alignsync-bench

step "running the benchmark"
command="just bench (bash scripts/bench.sh)"
if [[ $# -gt 0 ]]; then
  command="bash scripts/bench.sh $*"
fi
target/release/alignsync-bench run \
  --operator target/release/jira-align-user-sync \
  --command "$command" \
  "$@"
