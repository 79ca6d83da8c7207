#!/usr/bin/env bash
# zk-ensemble.sh - a 3-node ZooKeeper ensemble on 127.0.0.1 for fault tests,
# using Debian's `zookeeper` package. Companion of zk-start.sh / zk-stop.sh.
#
# Usage:
#   zk-ensemble.sh start            start all nodes, wait for a quorum, print the connect string
#   zk-ensemble.sh stop [--purge]   stop all nodes (by their pid files)
#   zk-ensemble.sh status           one line per node: id, pid, mode (leader/follower/down)
#   zk-ensemble.sh leader           print the id (1..3) of the current leader
#   zk-ensemble.sh kill N           SIGKILL node N (crash); `kill leader` kills the leader
#                                   and prints its id
#   zk-ensemble.sh start-node N     (re)start node N and wait until it serves
#   zk-ensemble.sh pid N            print the pid of node N
#   zk-ensemble.sh connect          print the connect string
#
# Environment: ZK_ENSEMBLE_BASE (default 21820): client ports BASE+1..3,
#   quorum ports BASE+101..103, election ports BASE+201..203;
#   ZK_ENSEMBLE_DIR (default ${TMPDIR:-/tmp}/zk-ensemble-$BASE); ZK_TIMEOUT (30);
#   ZK_TICK_TIME (2000); ZK_HEAP (128m); ZK_LOG_LEVEL (info); JAVA (java);
#   ZK_OWNER_PID: on `start`, stop (and purge) the ensemble once this process
#   has exited (a detached watchdog, as in zk-start.sh).
set -euo pipefail

BASE=${ZK_ENSEMBLE_BASE:-21820}
DIR=${ZK_ENSEMBLE_DIR:-${TMPDIR:-/tmp}/zk-ensemble-$BASE}
ZK_TIMEOUT=${ZK_TIMEOUT:-30}
ZK_TICK_TIME=${ZK_TICK_TIME:-2000}
ZK_HEAP=${ZK_HEAP:-128m}
ZK_LOG_LEVEL=${ZK_LOG_LEVEL:-info}
JAVA=${JAVA:-java}
HOST=127.0.0.1
N=3
ZK_JAR=/usr/share/java/zookeeper.jar
SLF4J_BINDING=/usr/share/java/slf4j-simple.jar
MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

log() { echo "zk-ensemble: $*" >&2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
[ -r "$ZK_JAR" ] || { log "$ZK_JAR not found; apt-get install -y zookeeper"; exit 1; }
if [ ! -d "$DIR" ]; then
  case "${1:-}" in
    start) mkdir -p "$DIR" ;;
    stop|status|leader|kill|start-node|pid) log "no ensemble state in $DIR"; [ "${1:-}" = stop ]; exit $? ;;
  esac
fi
[ -d "$DIR" ] && DIR=$(cd "$DIR" && pwd -P)

cport() { echo $((BASE + $1)); }
cfg() { echo "$DIR/n$1/zoo.cfg"; }
pidfile() { echo "$DIR/n$1/zookeeper.pid"; }
connect_string() { local s="" i; for i in $(seq 1 $N); do s="$s${s:+,}$HOST:$(cport "$i")"; done; echo "$s"; }
# shellcheck disable=SC2016  # $1.. expand in the inner bash, on purpose
fourlw() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1; printf "%s" "$3" >&3; cat <&3' _ "$HOST" "$(cport "$1")" "$2" 2>/dev/null || true; }
mode() { local m; m=$(fourlw "$1" srvr | sed -n 's/^Mode: //p'); echo "${m:-down}"; }
is_ours() {
  local pid=$1 cmd
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  case "$cmd" in *"$MAIN"*"$2"*) return 0 ;; *) return 1 ;; esac
}
node_pid() { local p; p=$(cat "$(pidfile "$1")" 2>/dev/null || true); if is_ours "$p" "$(cfg "$1")"; then echo "$p"; fi; }

write_cfg() { # $1 = id
  local i=$1 j
  mkdir -p "$DIR/n$i/data"
  echo "$i" > "$DIR/n$i/data/myid"
  {
    echo "tickTime=$ZK_TICK_TIME"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$DIR/n$i/data"
    echo "clientPort=$(cport "$i")"
    echo "clientPortAddress=$HOST"
    echo "maxClientCnxns=0"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=*"
    echo "forceSync=no"
    echo "preAllocSize=4096"
    for j in $(seq 1 $N); do echo "server.$j=$HOST:$((BASE + 100 + j)):$((BASE + 200 + j))"; done
  } > "$(cfg "$i")"
}

# A client port held by something else (not one of our nodes) is fatal.
port_busy() { # shellcheck disable=SC2016
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$HOST" "$1" 2>/dev/null; }

launch() { # $1 = id
  local i=$1 cp=$ZK_JAR pid
  if [ -n "$(node_pid "$i")" ]; then return 0; fi
  local deadline=$((SECONDS + ${ZK_PORT_WAIT:-5}))
  while port_busy "$(cport "$i")"; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "port $(cport "$i") is in use by another process"; exit 2; fi
    sleep 0.2
  done
  [ -r "$SLF4J_BINDING" ] && cp=$cp:$SLF4J_BINDING
  # shellcheck disable=SC2086
  setsid "$JAVA" -Xms32m "-Xmx$ZK_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=$ZK_LOG_LEVEL" -Dorg.slf4j.simpleLogger.showDateTime=true \
    ${ZK_JAVA_OPTS:-} -cp "$cp" "$MAIN" "$(cfg "$i")" >>"$DIR/n$i/zookeeper.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" > "$(pidfile "$i")"
}

wait_modes() { # wait until the given ids all report a Mode
  local deadline=$((SECONDS + ZK_TIMEOUT)) ok i
  while [ "$SECONDS" -lt "$deadline" ]; do
    ok=1
    for i in "$@"; do [ "$(mode "$i")" = down ] && ok=0; done
    [ "$ok" = 1 ] && return 0
    sleep 0.1
  done
  log "not serving after ${ZK_TIMEOUT}s: $(for i in "$@"; do echo -n "n$i=$(mode "$i") "; done)"
  return 1
}

leader_id() { local i; for i in $(seq 1 $N); do if [ "$(mode "$i")" = leader ]; then echo "$i"; return 0; fi; done; return 1; }

stop_node() {
  local i=$1 pid
  pid=$(node_pid "$i")
  if [ -z "$pid" ]; then rm -f "$(pidfile "$i")"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do is_ours "$pid" "$(cfg "$i")" || break; sleep 0.1; done
  if is_ours "$pid" "$(cfg "$i")"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  rm -f "$(pidfile "$i")"
}

if command -v flock >/dev/null 2>&1; then exec 9>"$DIR/.lock"; flock -w 60 9; fi

cmd=${1:-}
case "$cmd" in
  start)
    running=0
    for i in $(seq 1 $N); do [ -n "$(node_pid "$i")" ] && running=1; done
    if [ "$running" = 0 ]; then
      for i in $(seq 1 $N); do rm -rf "$DIR/n$i/data"; write_cfg "$i"; done
    fi
    for i in $(seq 1 $N); do launch "$i"; done
    # shellcheck disable=SC2046  # word splitting of seq output is intended
    wait_modes $(seq 1 $N) || exit 1
    if [ -n "${ZK_OWNER_PID:-}" ]; then
      # shellcheck disable=SC2016  # $1.. expand in the inner bash, on purpose
      ZK_ENSEMBLE_BASE=$BASE ZK_ENSEMBLE_DIR=$DIR setsid bash -c \
        'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" stop --purge' \
        _ "$ZK_OWNER_PID" "$SCRIPT_DIR/zk-ensemble.sh" </dev/null >/dev/null 2>&1 9>&- &
    fi
    log "$(for i in $(seq 1 $N); do echo -n "n$i=$(mode "$i") "; done)"
    connect_string ;;
  start-node)
    i=${2:?node id}
    [ -f "$(cfg "$i")" ] || { log "ensemble never started"; exit 2; }
    launch "$i"; wait_modes "$i" || exit 1; log "n$i=$(mode "$i")" ;;
  stop)
    for i in $(seq 1 $N); do stop_node "$i"; done
    if [ "${2:-}" = --purge ]; then rm -rf "${DIR:?}"/n[1-9] "$DIR/.lock"; rmdir "$DIR" 2>/dev/null || true; fi
    log "stopped" ;;
  status)
    for i in $(seq 1 $N); do echo "n$i pid=$(node_pid "$i") port=$(cport "$i") mode=$(mode "$i")"; done ;;
  leader) leader_id ;;
  kill)
    i=${2:?node id or leader}
    if [ "$i" = leader ]; then i=$(leader_id) || { log "no leader"; exit 1; }; fi
    pid=$(node_pid "$i"); [ -n "$pid" ] || { log "n$i not running"; exit 1; }
    kill -KILL "$pid"
    for _ in $(seq 1 50); do is_ours "$pid" "$(cfg "$i")" || break; sleep 0.1; done
    rm -f "$(pidfile "$i")"
    echo "$i" ;;
  pid)
    i=${2:?node id}
    pid=$(node_pid "$i"); [ -n "$pid" ] || { log "n$i not running"; exit 1; }
    echo "$pid" ;;
  connect) connect_string ;;
  *) sed -n '2,23p' "$0"; exit 2 ;;
esac
