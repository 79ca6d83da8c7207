#!/usr/bin/env bash
# capture-golden.sh - record the exact frames Java Dubbo sends and receives for a few calls and save
# them as golden files in tests/interop/golden/.
#
#   tests/interop/java/capture/capture-golden.sh [OUT_DIR]     (default: tests/interop/golden)
#
# Java consumer --(direct url)--> dubbo_capture_proxy.py --> Java provider (registry N/A).
# No ZooKeeper is needed. Everything listens on 127.0.0.1 only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../../../.." && pwd -P)
PEER=$ROOT/scripts/java-peer.sh
OUT=${1:-$ROOT/tests/interop/golden}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dubbo-capture.XXXXXX")
PROVIDER_PID=""
PROXY_PID=""

log() { echo "capture: $*" >&2; }
cleanup() {
  if [ -n "$PROXY_PID" ]; then kill "$PROXY_PID" 2>/dev/null || true; fi
  if [ -n "$PROVIDER_PID" ]; then kill "$PROVIDER_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$PEER" build

"$PEER" provider --registry N/A --port 0 >"$WORK/provider.out" 2>"$WORK/provider.err" &
PROVIDER_PID=$!
for _ in $(seq 1 240); do grep -q 'JAVA-PROVIDER READY' "$WORK/provider.out" 2>/dev/null && break; sleep 0.25; done
PORT=$(sed -n 's/.*JAVA-PROVIDER READY port=\([0-9]*\).*/\1/p' "$WORK/provider.out")
[ -n "$PORT" ] || { log "provider did not start"; cat "$WORK/provider.err" >&2; exit 1; }
log "provider on 127.0.0.1:$PORT, work dir $WORK"

start_proxy() { # $1 = capture dir
  rm -f "$WORK/proxy.port"
  python3 "$HERE/dubbo_capture_proxy.py" --listen 127.0.0.1:0 --upstream "127.0.0.1:$PORT" \
    --out "$1" --ready-file "$WORK/proxy.port" 2>>"$WORK/proxy.err" &
  PROXY_PID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.05; done
  PPORT=$(cat "$WORK/proxy.port")
}
stop_proxy() { kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""; }

# capture NAME CONSUMER-ARGS...   -> $WORK/NAME/
capture() {
  local name=$1; shift
  start_proxy "$WORK/$name"
  "$PEER" consumer --url "dubbo://127.0.0.1:$PPORT" --timeout 3000 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
    log "consumer failed for $name:"; cat "$WORK/$name.out" >&2; exit 1; }
  sleep 0.3
  stop_proxy
  log "$name: $(grep -c . "$WORK/$name/index.tsv") frame(s)"
}

capture say_hello      --cases demo_say_hello
capture echo_user      --cases user_full
capture exception      --cases exception
capture void_ping      --cases void_ping
capture oneway         --cases void_oneway
capture overload       --cases overload_greet2
capture string_emoji   --cases string_emoji
capture map            --cases map
capture pojo_map       --cases pojo_map
capture date           --cases date
capture decimal        --cases decimal
capture local_dt       --cases local_date_time
capture enum           --cases enum
capture echo_service   --cases echo_service
capture generic        --cases generic_echo_user
capture group_v1       --cases version_group_v1
capture over_limit     --cases large_response_over_limit
capture heartbeat      --cases void_ping --heartbeat 1000 --linger 3500
# last: the provider's graceful shutdown sends a READONLY event to connected consumers
start_proxy "$WORK/readonly"
"$PEER" consumer --url "dubbo://127.0.0.1:$PPORT" --timeout 3000 --cases void_ping --linger 6000 \
  >"$WORK/readonly.out" 2>"$WORK/readonly.err" &
CPID=$!
# wait until the consumer has made its call (it then lingers, connected), then stop the provider
for _ in $(seq 1 300); do grep -q '^CASE void_ping' "$WORK/readonly.out" 2>/dev/null && break; sleep 0.1; done
kill "$PROVIDER_PID"; wait "$PROVIDER_PID" 2>/dev/null || true; PROVIDER_PID=""
wait "$CPID" || true
sleep 0.3
stop_proxy
log "readonly: $(grep -c . "$WORK/readonly/index.tsv") frame(s)"

# pick NAME SEQ-PATTERN DEST : copy the first frame whose file name matches into OUT/DEST
mkdir -p "$OUT"
: >"$OUT/frames.tsv.new"
pick() {
  local name=$1 pat=$2 dest=$3 f line
  f=""
  for c in "$WORK/$name"/*.bin; do
    c=${c##*/}
    if [[ $c =~ $pat ]]; then f=$c; break; fi
  done
  [ -n "$f" ] || { log "no frame matching $pat in $name"; ls "$WORK/$name" >&2; exit 1; }
  cp "$WORK/$name/$f" "$OUT/$dest"
  line=$(awk -F'\t' -v s="$((10#${f%%-*}))" '$1 == s' "$WORK/$name/index.tsv" | cut -f3-)
  printf '%s\t%s\n' "$dest" "$line" >>"$OUT/frames.tsv.new"
}
pick say_hello    '^0001-c2s-req\.'        sayHello.request.bin
pick say_hello    '^0002-s2c-resp\.'       sayHello.response.bin
pick echo_user    '^0001-c2s-req\.'        echoUser.request.bin
pick echo_user    '^0002-s2c-resp\.'       echoUser.response.bin
pick exception    '^0001-c2s-req\.'        fail.request.bin
pick exception    '^0002-s2c-resp\.'       fail.business-exception.response.bin
pick void_ping    '^0001-c2s-req\.'        ping.request.bin
pick void_ping    '^0002-s2c-resp\.'       ping.void.response.bin
pick oneway       'c2s-req-oneway\.'       recordOneway.oneway.request.bin
pick overload     '^0001-c2s-req\.'        greet2.request.bin
pick overload     '^0002-s2c-resp\.'       greet2.response.bin
pick string_emoji '^0001-c2s-req\.'        echoString.emoji.request.bin
pick string_emoji '^0002-s2c-resp\.'       echoString.emoji.response.bin
pick map          '^0001-c2s-req\.'        echoMap.request.bin
pick map          '^0002-s2c-resp\.'       echoMap.response.bin
pick pojo_map     '^0001-c2s-req\.'        echoPojoMap.request.bin
pick pojo_map     '^0002-s2c-resp\.'       echoPojoMap.response.bin
pick date         '^0001-c2s-req\.'        echoDate.ms.request.bin
pick date         '^0002-s2c-resp\.'       echoDate.ms.response.bin
pick date         '^0003-c2s-req\.'        echoDate.minutes.request.bin
pick date         '^0004-s2c-resp\.'       echoDate.minutes.response.bin
pick decimal      '^0005-c2s-req\.'        echoDecimal.request.bin
pick decimal      '^0006-s2c-resp\.'       echoDecimal.response.bin
pick local_dt     '^0001-c2s-req\.'        echoLocalDateTime.request.bin
pick local_dt     '^0002-s2c-resp\.'       echoLocalDateTime.response.bin
pick enum         '^0001-c2s-req\.'        echoColor.request.bin
pick enum         '^0002-s2c-resp\.'       echoColor.response.bin
pick echo_service '^0001-c2s-req\.'        echo.request.bin
pick echo_service '^0002-s2c-resp\.'       echo.response.bin
pick generic      '^0001-c2s-req\.'        generic.invoke-echoUser.request.bin
pick generic      '^0002-s2c-resp\.'       generic.invoke-echoUser.response.bin
pick group_v1     '^0001-c2s-req\.'        whoAmI.v1-g1.request.bin
pick group_v1     '^0002-s2c-resp\.'       whoAmI.v1-g1.response.bin
pick over_limit   '^0001-c2s-req\.'        makeBytes.request.bin
pick over_limit   '^0002-s2c-resp\.'       makeBytes.over-payload.response.bin
pick heartbeat    'c2s-heartbeat-req\.'    heartbeat.request.bin
pick heartbeat    's2c-heartbeat-resp\.'   heartbeat.response.bin
pick readonly     's2c-event\.'            readonly-event.bin
{ printf 'file\tdirection\tkind\tflags\tstatus\tid\tbody_len\tsummary\n'; cat "$OUT/frames.tsv.new"; } >"$OUT/frames.tsv"
rm -f "$OUT/frames.tsv.new"
bins=("$OUT"/*.bin)
log "golden frames written to $OUT (${#bins[@]} files); raw captures kept in $WORK"
