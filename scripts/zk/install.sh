#!/usr/bin/env bash
# install.sh - make sure Debian's `zookeeper` package (the server jars used by
# zk-start.sh and zk-ensemble.sh) is installed. Does nothing when
# /usr/share/java/zookeeper.jar is already there; otherwise runs, quietly,
#   apt-get update -qq && apt-get install -y -qq zookeeper
# (as root, or through sudo). `zookeeperd` (an init script) is not needed.
#
# Usage: scripts/zk/install.sh        exit 0 when the jar (and java) are present
set -euo pipefail

ZK_JAR=/usr/share/java/zookeeper.jar
log() { echo "zk-install: $*" >&2; }

if [ -r "$ZK_JAR" ] && command -v java >/dev/null 2>&1; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "not root and no sudo: install the 'zookeeper' package by hand"; exit 1; }
  SUDO=(sudo)
fi
command -v apt-get >/dev/null 2>&1 || { log "apt-get not found: install ZooKeeper 3.8 so that $ZK_JAR exists"; exit 1; }

log "installing Debian's zookeeper package (about 10 s, 33 MB; more without a JRE)"
export DEBIAN_FRONTEND=noninteractive
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq zookeeper; } >"$out" 2>&1; then
  tail -n 30 "$out" >&2
  log "installation failed"
  exit 1
fi
[ -r "$ZK_JAR" ] || { log "installed, but $ZK_JAR is still missing"; exit 1; }
log "installed $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo zookeeper)"
