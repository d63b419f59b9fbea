#!/usr/bin/env bash
# Installs the Debian packages the test directories need (OpenLDAP slapd, a Samba AD DC,
# the LDAP/LDB command-line tools and openssl) without letting Debian start the packaged
# slapd or samba services: the test harness runs its own instances on loopback.
#
# Idempotent: when every package is already installed it only makes sure the packaged
# services are stopped. Must run as root. Usage: bash testenv/install-packages.sh
set -euo pipefail

PACKAGES=(
  slapd
  ldap-utils
  samba
  samba-dsdb-modules
  samba-vfs-modules
  samba-ad-provision
  python3-samba
  samba-common-bin
  ldb-tools
  openssl
)

# Lists older than this are refreshed once before installing.
STALE_AFTER_SECONDS=$((24 * 3600))

POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=/usr/sbin/policy-rc.d.test-directories-backup

log() { printf 'install-packages: %s\n' "$*" >&2; }

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

lists_are_stale() {
  local newest now
  newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -printf '%T@\n' 2>/dev/null \
    | sort -n | tail -n 1 | cut -d. -f1)
  [[ -z "$newest" ]] && return 0
  now=$(date +%s)
  (( now - newest > STALE_AFTER_SECONDS ))
}

# Debian's invoke-rc.d asks policy-rc.d whether a service may start; 101 means "no".
# An existing policy file (container images ship one) is kept and put back afterwards.
block_service_starts() {
  if [[ -e "$POLICY" ]]; then
    mv -f "$POLICY" "$POLICY_BACKUP"
  fi
  printf '#!/bin/sh\nexit 101\n' > "$POLICY"
  chmod 0755 "$POLICY"
}

restore_service_policy() {
  rm -f "$POLICY"
  if [[ -e "$POLICY_BACKUP" ]]; then
    mv -f "$POLICY_BACKUP" "$POLICY"
  fi
}

# Stops a packaged daemon through its pid file, if it is running.
stop_pidfile_daemon() {
  local name=$1 pidfile=$2 pid
  [[ -r "$pidfile" ]] || return 0
  pid=$(tr -dc '0-9' < "$pidfile")
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping packaged $name (pid $pid)"
    kill "$pid" || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || return 0
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

stop_packaged_services() {
  local unit
  if [[ -d /run/systemd/system ]]; then
    for unit in slapd samba-ad-dc smbd nmbd winbind; do
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
  stop_pidfile_daemon slapd /run/slapd/slapd.pid
  stop_pidfile_daemon samba /run/samba/samba.pid
  stop_pidfile_daemon smbd /run/samba/smbd.pid
  stop_pidfile_daemon nmbd /run/samba/nmbd.pid
}

main() {
  if [[ $EUID -ne 0 ]]; then
    log "must run as root"
    exit 1
  fi

  local missing
  missing=$(missing_packages)
  if [[ -z "$missing" ]]; then
    log "all packages already installed"
    stop_packaged_services
    return 0
  fi
  # shellcheck disable=SC2086 # one package name per word
  log "installing:" $missing

  export DEBIAN_FRONTEND=noninteractive
  block_service_starts
  trap restore_service_policy EXIT

  if lists_are_stale; then
    log "refreshing package lists"
    apt-get update -qq
  fi
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null

  restore_service_policy
  trap - EXIT
  stop_packaged_services
  log "done"
}

main "$@"
