#!/usr/bin/env bash
# zk-start.sh - start a throwaway standalone ZooKeeper on a loopback address,
# using Debian's `zookeeper` package (3.8.x; jars in /usr/share/java). No systemd.
#
# Usage:  zk-start.sh [PORT|auto] [--foreground]
#   CONNECT=$(zk-start.sh 2181)    # prints ONLY the connect string on stdout
#   CONNECT=$(zk-start.sh auto)    # random free port; stop with zk-stop.sh ${CONNECT##*:}
#
# Idempotent: if a server started by this script for the same state dir is
# already running and serving, it just prints the connect string again.
# A stale pid file is removed. A port held by something else is an error.
#
# Environment (all optional):
#   ZK_PORT            client port (default 2181; the first argument wins)
#   ZK_HOST            bind address, IPv4 loopback only (default 127.0.0.1)
#   ZK_DIR             state dir: zoo.cfg, data/, zookeeper.log, zookeeper.pid
#                      (default ${TMPDIR:-/tmp}/zk-$ZK_PORT)
#   ZK_TIMEOUT         seconds to wait until the server serves (default 30)
#   ZK_PORT_WAIT       seconds to wait for a busy port to free up (default 5)
#   ZK_TICK_TIME       ms (default 2000). ZooKeeper clamps client session
#                      timeouts to [2*tick, 20*tick] unless the next two are set
#   ZK_MIN_SESSION_TIMEOUT / ZK_MAX_SESSION_TIMEOUT   ms (optional)
#   ZK_HEAP            JVM max heap (default 256m)
#   ZK_KEEP_DATA=1     keep an existing data dir (default: wiped on a fresh start)
#   ZK_FORCE_SYNC      yes|no fsync of the txn log (default no: test speed)
#   ZK_LOG_LEVEL       slf4j-simple level: trace|debug|info|warn|error (default info)
#   ZK_JAVA_OPTS       extra JVM options
#   JAVA               java binary (default: java on PATH)
#   ZK_OWNER_PID       stop (and purge) the server once this process has exited:
#                      a detached watchdog polls it every second. Test harnesses
#                      set it to their own PID so a panicking or killed test
#                      never leaves a JVM behind. ZK_OWNER_PURGE=0 keeps the state.
#
# Installing the server: scripts/zk/install.sh (Debian's `zookeeper` package).
#
# Exit codes: 0 serving; 1 failed to start/timed out; 2 bad usage or port busy.
set -euo pipefail

FOREGROUND=0
for a in "$@"; do
  case "$a" in
    --foreground|-f) FOREGROUND=1 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    auto) ZK_PORT=auto ;;
    ''|*[!0-9]*) echo "zk-start: unknown argument: $a" >&2; exit 2 ;;
    *) ZK_PORT=$a ;;
  esac
done

ZK_PORT=${ZK_PORT:-2181}
ZK_HOST=${ZK_HOST:-127.0.0.1}
if [ "$ZK_PORT" = auto ]; then
  # pick a random free port in 20000-39999 (stop it later with: zk-stop.sh <port>)
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    # shellcheck disable=SC2016
    if ! timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$ZK_HOST" "$p" 2>/dev/null; then ZK_PORT=$p; break; fi
  done
  [ "$ZK_PORT" = auto ] && { echo "zk-start: no free port found" >&2; exit 2; }
fi
ZK_DIR=${ZK_DIR:-${TMPDIR:-/tmp}/zk-$ZK_PORT}
ZK_TIMEOUT=${ZK_TIMEOUT:-30}
ZK_TICK_TIME=${ZK_TICK_TIME:-2000}
ZK_HEAP=${ZK_HEAP:-256m}
ZK_FORCE_SYNC=${ZK_FORCE_SYNC:-no}
ZK_LOG_LEVEL=${ZK_LOG_LEVEL:-info}
JAVA=${JAVA:-java}

case "$ZK_HOST" in
  127.*) ;;
  *) echo "zk-start: ZK_HOST must be an IPv4 loopback address (127.x.y.z), got '$ZK_HOST'" >&2; exit 2 ;;
esac

# Debian install locations (package `zookeeper` -> `libzookeeper-java`).
ZK_JAR=/usr/share/java/zookeeper.jar          # its manifest Class-Path pulls the deps
SLF4J_BINDING=/usr/share/java/slf4j-simple.jar # from libslf4j-java (a dependency)
MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

log() { echo "zk-start: $*" >&2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

# Stop the server once ZK_OWNER_PID has exited. Detached from our stdio (so that
# `$(zk-start.sh)` returns) and from the lock fd; zk-stop.sh is idempotent, so a
# second watchdog for the same server (after a restart) is harmless.
start_owner_watchdog() {
  [ -n "${ZK_OWNER_PID:-}" ] || return 0
  case "$ZK_OWNER_PID" in ''|*[!0-9]*) log "ZK_OWNER_PID must be a pid"; return 1 ;; esac
  local purge=--purge
  [ "${ZK_OWNER_PURGE:-1}" = 1 ] || purge=
  # shellcheck disable=SC2016  # $1.. expand in the inner bash, on purpose
  ZK_DIR=$ZK_DIR setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" "$3" $4' \
    _ "$ZK_OWNER_PID" "$SCRIPT_DIR/zk-stop.sh" "$ZK_PORT" "$purge" </dev/null >/dev/null 2>&1 9>&- &
}

if [ ! -r "$ZK_JAR" ]; then
  log "$ZK_JAR not found; install it with: apt-get install -y zookeeper"
  exit 1
fi
command -v "$JAVA" >/dev/null 2>&1 || { log "java not found (apt-get install -y default-jre-headless)"; exit 1; }

mkdir -p "$ZK_DIR"
ZK_DIR=$(cd "$ZK_DIR" && pwd -P)
CFG=$ZK_DIR/zoo.cfg
DATA=$ZK_DIR/data
LOG=$ZK_DIR/zookeeper.log
PIDFILE=$ZK_DIR/zookeeper.pid
CONNECT="$ZK_HOST:$ZK_PORT"

# Four-letter word over bash's /dev/tcp; prints the reply (empty on failure).
# shellcheck disable=SC2016  # $1.. expand in the inner bash, on purpose
fourlw() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1; printf "%s" "$3" >&3; cat <&3' _ "$ZK_HOST" "$ZK_PORT" "$1" 2>/dev/null || true
}
serving() { case "$(fourlw srvr)" in *"Mode: "*) return 0 ;; *) return 1 ;; esac; }
# shellcheck disable=SC2016
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$ZK_HOST" "$ZK_PORT" 2>/dev/null; }
# Is PID a live ZooKeeper started with our zoo.cfg? (guards against PID reuse)
is_ours() {
  local pid=$1 cmd
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  case "$cmd" in *"$MAIN"*"$CFG"*) return 0 ;; *) return 1 ;; esac
}

wait_ready() { # $1 = pid
  local pid=$1 deadline=$((SECONDS + ZK_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! is_ours "$pid"; then
      log "server process $pid exited during start-up; last log lines:"
      tail -n 30 "$LOG" >&2 || true
      rm -f "$PIDFILE"
      return 1
    fi
    # `ruok` answers imok before the server serves; `srvr` shows Mode: only when it does.
    if serving; then return 0; fi
    sleep 0.1
  done
  log "not serving after ${ZK_TIMEOUT}s; stopping pid $pid; last log lines:"
  tail -n 30 "$LOG" >&2 || true
  kill -TERM "$pid" 2>/dev/null || true
  sleep 2
  if is_ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PIDFILE"
  return 1
}

# Serialise concurrent zk-start/zk-stop calls for the same state dir (fd 9 is
# closed for the JVM below so the server does not keep holding the lock).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ZK_DIR/.lock"
  flock -w $((ZK_TIMEOUT + 15)) 9 || { log "could not lock $ZK_DIR/.lock"; exit 1; }
fi

# Already running (idempotent path)?
if [ -f "$PIDFILE" ]; then
  OLD=$(cat "$PIDFILE" 2>/dev/null || true)
  if is_ours "$OLD"; then
    if [ "$FOREGROUND" = 1 ]; then log "already running in the background as pid $OLD"; exit 2; fi
    wait_ready "$OLD" || exit 1
    start_owner_watchdog
    log "already running (pid $OLD)"
    echo "$CONNECT"
    exit 0
  fi
  log "removing stale pid file ($OLD)"
  rm -f "$PIDFILE"
fi

# A server killed a moment ago may still hold the port: give it ZK_PORT_WAIT seconds.
port_deadline=$((SECONDS + ${ZK_PORT_WAIT:-5}))
while port_open; do
  if [ "$SECONDS" -ge "$port_deadline" ]; then
    log "$CONNECT is already in use by another process (not started from $ZK_DIR)"
    exit 2
  fi
  sleep 0.2
done

if [ "${ZK_KEEP_DATA:-0}" != 1 ]; then rm -rf "$DATA"; fi
mkdir -p "$DATA"

{
  echo "# generated by zk-start.sh"
  echo "tickTime=$ZK_TICK_TIME"
  echo "initLimit=10"
  echo "syncLimit=5"
  echo "dataDir=$DATA"
  echo "clientPort=$ZK_PORT"
  echo "clientPortAddress=$ZK_HOST"
  # default is 60 connections per client IP: every test connects from 127.0.0.1
  echo "maxClientCnxns=0"
  # the Jetty AdminServer would otherwise bind 0.0.0.0:8080
  echo "admin.enableServer=false"
  echo "4lw.commands.whitelist=*"
  echo "forceSync=$ZK_FORCE_SYNC"
  echo "preAllocSize=4096"
  [ -n "${ZK_MIN_SESSION_TIMEOUT:-}" ] && echo "minSessionTimeout=$ZK_MIN_SESSION_TIMEOUT"
  [ -n "${ZK_MAX_SESSION_TIMEOUT:-}" ] && echo "maxSessionTimeout=$ZK_MAX_SESSION_TIMEOUT"
  true
} > "$CFG"

CP=$ZK_JAR
[ -r "$SLF4J_BINDING" ] && CP=$CP:$SLF4J_BINDING

# shellcheck disable=SC2206
JOPTS=(-Xms32m "-Xmx$ZK_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1
       -Djava.awt.headless=true
       "-Dorg.slf4j.simpleLogger.defaultLogLevel=$ZK_LOG_LEVEL"
       -Dorg.slf4j.simpleLogger.showDateTime=true
       "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
       ${ZK_JAVA_OPTS:-})

if [ "$FOREGROUND" = 1 ]; then
  log "foreground on $CONNECT (Ctrl-C to stop), state in $ZK_DIR"
  echo $$ > "$PIDFILE"   # exec keeps this PID
  exec 9>&-
  exec "$JAVA" "${JOPTS[@]}" -cp "$CP" "$MAIN" "$CFG"
fi

# Background: own session (setsid) so a Ctrl-C in the caller's terminal does not
# hit it; stdio detached so `$(zk-start.sh)` returns.
if command -v setsid >/dev/null 2>&1; then LAUNCH=(setsid); else LAUNCH=(); fi
"${LAUNCH[@]}" "$JAVA" "${JOPTS[@]}" -cp "$CP" "$MAIN" "$CFG" >>"$LOG" 2>&1 </dev/null 9>&- &
PID=$!
# setsid execs in place when it can; if it had to fork, find the JVM by its cfg path.
sleep 0.2
if ! is_ours "$PID"; then
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    if is_ours "$p"; then PID=$p; break; fi
  done
fi
echo "$PID" > "$PIDFILE"

START=$SECONDS
wait_ready "$PID" || exit 1
start_owner_watchdog
log "serving on $CONNECT (pid $PID, ~$((SECONDS - START))s, log $LOG)"
echo "$CONNECT"
