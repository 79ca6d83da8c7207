#!/usr/bin/env bash
# java-peer.sh - build and run the Java Dubbo 3.3 test peer (tests/interop/java).
#
# Usage:
#   scripts/java-peer.sh build                 mvn -q -B package (skipped when up to date)
#   scripts/java-peer.sh provider [args...]    run org.apache.dubbo.interop.provider.Provider
#   scripts/java-peer.sh consumer [args...]    run org.apache.dubbo.interop.consumer.Consumer
#   scripts/java-peer.sh classpath             print the runtime classpath
#   scripts/java-peer.sh clean                 remove the Maven target/ dir
#
# provider/consumer build first if needed. Provider args: --registry zookeeper://127.0.0.1:2181
# --port 0|N --host 127.0.0.1 --app NAME --register-mode all|interface|instance --no-variants.
# Consumer args: see `scripts/java-peer.sh consumer --help`.
#
# Environment:
#   JAVA            java binary (default: java on PATH)
#   MVN             mvn binary (default: mvn on PATH)
#   JAVA_PEER_OPTS  JVM options (default: -Xms64m -Xmx512m -XX:+UseSerialGC)
#   JAVA_PEER_LOG   slf4j-simple level for Dubbo/Curator/ZooKeeper logs (default warn)
#   JAVA_PEER_FORCE_BUILD=1   rebuild even when up to date
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PROJ=$(cd "$HERE/../tests/interop/java" && pwd -P)
TARGET=$PROJ/target
JAR=$TARGET/interop-java-0.1.0.jar  # keep in step with <version> in the pom
CPFILE=$TARGET/classpath.txt
JAVA=${JAVA:-java}
MVN=${MVN:-mvn}

log() { echo "java-peer: $*" >&2; }

up_to_date() {
  [ "${JAVA_PEER_FORCE_BUILD:-0}" != 1 ] || return 1
  [ -s "$JAR" ] && [ -s "$CPFILE" ] || return 1
  # every jar on the saved classpath must still exist (e.g. ~/.m2 wiped)
  local p entries
  IFS=: read -r -a entries < "$CPFILE"
  for p in "${entries[@]}"; do [ -e "$p" ] || return 1; done
  # nothing in the sources or the pom newer than the jar
  [ -z "$(find "$PROJ/pom.xml" "$PROJ/src" -newer "$JAR" -print -quit 2>/dev/null)" ]
}

build() {
  if up_to_date; then return 0; fi
  command -v "$MVN" >/dev/null 2>&1 || { log "mvn not found (apt-get install -y maven)"; exit 1; }
  log "building $PROJ (mvn -q -B package)"
  local start=$SECONDS rc out
  set +e
  # Debian's Maven 3.8.7 prints bare ANSI reset codes even with -B; strip them.
  out=$(cd "$PROJ" && "$MVN" -q -B -DskipTests package 2>&1)
  rc=$?
  set -e
  out=$(printf '%s' "$out" | sed 's/\x1b\[[0-9;]*m//g')
  if [ -n "$out" ]; then printf '%s\n' "$out" >&2; fi
  if [ "$rc" != 0 ]; then log "maven build failed (exit $rc)"; exit "$rc"; fi
  log "built in $((SECONDS - start))s"
}

run() {
  local main=$1; shift
  build
  # shellcheck disable=SC2206
  local opts=(${JAVA_PEER_OPTS:--Xms64m -Xmx512m -XX:+UseSerialGC})
  exec "$JAVA" "${opts[@]}" \
    -Djava.net.preferIPv4Stack=true \
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=${JAVA_PEER_LOG:-warn}" \
    -cp "$JAR:$(cat "$CPFILE")" "$main" "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build ;;
  provider) run org.apache.dubbo.interop.provider.Provider "$@" ;;
  consumer) run org.apache.dubbo.interop.consumer.Consumer "$@" ;;
  classpath) build; echo "$JAR:$(cat "$CPFILE")" ;;
  clean) rm -rf "$TARGET" ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
esac
