# shellcheck shell=bash
# Background processes of the local control plane, tracked by pid files.
# Sourced by control-plane.sh; expects $run_dir and $log_dir to be set.
#
# A pid file only counts while its process still has the expected command name, so
# a stale file whose pid was reused by something else is never signalled.

die() {
  echo "control-plane: $*" >&2
  exit 1
}

now_ms() {
  date +%s%3N
}

# Prints the seconds elapsed since the now_ms value $1, e.g. "4.2s".
since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

process_pid() {
  cat "$run_dir/$1.pid" 2>/dev/null
}

# True when the pid file of $1 names a live process called $1.
process_alive() {
  local name=$1 pid
  pid="$(process_pid "$name")" || return 1
  [[ -n "$pid" && -r "/proc/$pid/comm" ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "${name:0:15}" ]]
}

# process_start NAME BINARY ARGS...: runs BINARY in its own session, logging to
# $log_dir/NAME.log (the previous run's log is kept as NAME.log.1).
process_start() {
  local name=$1 binary=$2
  shift 2
  local log="$log_dir/$name.log"
  [[ -f "$log" ]] && mv -f "$log" "$log.1"

  # Without job control the child is no group leader, so setsid execs in place
  # and $! is the server's own pid.
  setsid "$binary" "$@" >"$log" 2>&1 </dev/null &
  echo "$!" >"$run_dir/$name.pid"
  echo "$name: started (pid $!, log $log)"
}

# process_stop NAME: SIGTERM, then SIGKILL after 30 s; returns once the process is gone.
process_stop() {
  local name=$1 pid waited=0
  if ! process_alive "$name"; then
    rm -f "$run_dir/$name.pid"
    echo "$name: not running"
    return 0
  fi

  pid="$(process_pid "$name")"
  kill -TERM "$pid"
  while process_alive "$name" && [[ $waited -lt 300 ]]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if process_alive "$name"; then
    echo "$name: still running after 30s, sending SIGKILL"
    kill -KILL "$pid"
    while process_alive "$name"; do sleep 0.1; done
  fi
  rm -f "$run_dir/$name.pid"
  echo "$name: stopped (pid $pid) after $((waited / 10)).$((waited % 10))s"
}

# wait_until NAME WHAT TIMEOUT CHECK: polls CHECK until it succeeds, failing early
# with the log tail when process NAME exits.
wait_until() {
  local name=$1 what=$2 timeout=$3 check=$4
  local started
  started="$(now_ms)"
  until "$check"; do
    if ! process_alive "$name"; then
      tail -n 20 "$log_dir/$name.log" >&2 || true
      die "$name exited before $what; see $log_dir/$name.log"
    fi
    if (($(now_ms) - started >= timeout * 1000)); then
      die "$what not reached after ${timeout}s; see $log_dir/$name.log"
    fi
    sleep 0.25
  done
  echo "$what: ok after $(since "$started")"
}

# Fails when something already listens on 127.0.0.1 (or any address) port $1.
port_free() {
  if [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; then
    die "port $1 is already in use; pick another with the ALIGNSYNC_*_PORT variables"
  fi
}
