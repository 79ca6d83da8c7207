#!/usr/bin/env bash
# zk-stop.sh - stop a ZooKeeper started by zk-start.sh, by the PID in its pid file.
#
# Usage:  zk-stop.sh [PORT] [--purge] [--kill]
#   --purge (or ZK_PURGE=1) also deletes the state dir (data, log, cfg).
#   --kill  sends SIGKILL at once (a crash, e.g. to test a restart with
#           ZK_KEEP_DATA=1); the default is SIGTERM, then SIGKILL after a while.
#
# Environment: ZK_PORT (default 2181), ZK_DIR (default ${TMPDIR:-/tmp}/zk-$ZK_PORT),
#              ZK_STOP_TIMEOUT seconds before SIGKILL (default 10).
# Idempotent: exits 0 when nothing is running. Never kills by name: only the PID
# from the pid file, and only if that PID is a QuorumPeerMain using our zoo.cfg.
set -euo pipefail

PURGE=${ZK_PURGE:-0}
SIGNAL=TERM
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    --kill) SIGNAL=KILL ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    ''|*[!0-9]*) echo "zk-stop: unknown argument: $a" >&2; exit 2 ;;
    *) ZK_PORT=$a ;;
  esac
done
ZK_PORT=${ZK_PORT:-2181}
ZK_DIR=${ZK_DIR:-${TMPDIR:-/tmp}/zk-$ZK_PORT}
ZK_STOP_TIMEOUT=${ZK_STOP_TIMEOUT:-10}
MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

log() { echo "zk-stop: $*" >&2; }

if [ ! -d "$ZK_DIR" ]; then log "no state dir $ZK_DIR; nothing to stop"; exit 0; fi
ZK_DIR=$(cd "$ZK_DIR" && pwd -P)
CFG=$ZK_DIR/zoo.cfg
PIDFILE=$ZK_DIR/zookeeper.pid

is_ours() {
  local pid=$1 cmd
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  case "$cmd" in *"$MAIN"*"$CFG"*) return 0 ;; *) return 1 ;; esac
}

if command -v flock >/dev/null 2>&1; then
  exec 9>"$ZK_DIR/.lock"
  flock -w 60 9 || { log "could not lock $ZK_DIR/.lock"; exit 1; }
fi

PID=$(cat "$PIDFILE" 2>/dev/null || true)
if is_ours "$PID"; then
  kill "-$SIGNAL" "$PID" 2>/dev/null || true
  deadline=$((SECONDS + ZK_STOP_TIMEOUT))
  while is_ours "$PID" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  if is_ours "$PID"; then
    log "pid $PID still alive after ${ZK_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do is_ours "$PID" || break; sleep 0.1; done
  fi
  if is_ours "$PID"; then log "could not stop pid $PID"; exit 1; fi
  log "stopped pid $PID (SIG$SIGNAL)"
else
  [ -n "$PID" ] && log "pid file names $PID, which is not our server (stale)"
  log "not running"
fi
rm -f "$PIDFILE"

if [ "$PURGE" = 1 ]; then
  # only remove what zk-start.sh creates
  rm -rf "$ZK_DIR/data" "$ZK_DIR/zoo.cfg" "$ZK_DIR/zookeeper.log" "$ZK_DIR/.lock"
  rmdir "$ZK_DIR" 2>/dev/null || true
  log "purged $ZK_DIR"
fi
exit 0
