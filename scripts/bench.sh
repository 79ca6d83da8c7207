#!/usr/bin/env bash
# bench.sh - dubbo-rpc against the raw loopback limit and Java Dubbo 3.3, in one run.
#
# Builds the bench binaries (release) and the Java peer, then, one target at a time on
# 127.0.0.1, drives each with the same load generator (tests/bench, `loadgen`):
#   1. raw-echo       minimal framed echo server (no Hessian, no dispatch): the raw limit
#   2. rust-provider  our provider (DemoService + InteropService.echoUser/echoBytes)
#   3. Java provider  Apache Dubbo 3.3.6 (tests/interop/java), no registry
# for the workloads sayHello (100-byte body), user (~1 KiB POJO echo), bytes64k (64 KiB
# byte[] echo) at the points C=1,N=1; C=1,N=64; C=4,N=256 (C connections, N in flight).
# It also runs our Rust client (and, for comparison, the bare client transport without the
# client stack) against our provider (sayHello), the Java consumer against
# the Java provider (threads = N, connections = C) for reference, and measures the RSS of
# each provider holding 1 000 idle connections. Prints markdown tables with the ratios.
#
# Environment:
#   WARMUP=2 SECS=3 RUNS=3   warm-up, then RUNS measuring windows of SECS s per point
#   JRUNS=$RUNS              runs of the Java consumer per point (one JVM each)
#   POINTS="1:1 1:64 4:256"  C:N points;  WORKLOADS="sayHello user bytes64k"
#   IDLE_CONNS=1000          idle connections for the memory figure
#   JAVA=0                   skip everything Java;  RAW_DISPATCH=auto|inline|split
#   QUIET_PCT=N              before each point wait (up to 2 min) for CPU use below N %
#   OUT=dir                  keep raw results there (default: a temp dir, removed)
# All traffic stays on 127.0.0.0/8: the Java consumer dials the host name that resolves
# to 127.0.0.1 (Java Dubbo rewrites 127.x to the NIC address).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
WARMUP=${WARMUP:-2}
SECS=${SECS:-3}
RUNS=${RUNS:-3}
JRUNS=${JRUNS:-$RUNS}
POINTS=${POINTS:-"1:1 1:64 4:256"}
WORKLOADS=${WORKLOADS:-"sayHello user bytes64k"}
IDLE_CONNS=${IDLE_CONNS:-1000}
JAVA=${JAVA:-1}
RAW_DISPATCH=${RAW_DISPATCH:-auto}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release

log() { echo "bench: $*" >&2; }

KEEP_OUT=1
if [ -z "${OUT:-}" ]; then OUT=$(mktemp -d); KEEP_OUT=0; fi
mkdir -p "$OUT"

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
  if [ "$KEEP_OUT" = 0 ]; then rm -rf "$OUT"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in the background, waits for its "READY port=N" line and
# sets PID and PORT.
start() {
  local name=$1; shift
  : >"$OUT/$name.log"
  "$@" >"$OUT/$name.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
  PORT=""
  for _ in $(seq 600); do
    PORT=$(sed -n 's/.*READY port=\([0-9]*\).*/\1/p' "$OUT/$name.log" | head -1) || true
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  log "$name did not start:"; cat "$OUT/$name.log" >&2
  exit 1
}

# stop PID: ends one target we started.
stop() {
  local p=$1 rest=() q
  kill "$p" 2>/dev/null || true
  for _ in $(seq 80); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || rest+=("$q"); done
  PIDS=("${rest[@]}")
}

busy_pct() {
  local a b i total=0 idle
  read -r -a a < /proc/stat; sleep 1; read -r -a b < /proc/stat
  idle=$(( b[4] + b[5] - a[4] - a[5] ))
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( 100 * (total - idle) / (total > 0 ? total : 1) ))
}
wait_quiet() {
  [ -z "${QUIET_PCT:-}" ] && return 0
  for _ in $(seq 40); do
    [ "$(busy_pct)" -lt "$QUIET_PCT" ] && return 0
    sleep 2
  done
  log "machine still busy; measuring anyway"
}

# loadgen_point LABEL PORT PID WORKLOAD C N [extra loadgen args]: one point, RESULT line
# saved as $OUT/LABEL.WORKLOAD.C.N
loadgen_point() {
  local label=$1 port=$2 pid=$3 w=$4 c=$5 n=$6; shift 6
  wait_quiet
  "$BIN/loadgen" run --addr "127.0.0.1:$port" --pid "$pid" --label "$label" --workload "$w" \
    --conns "$c" --inflight "$n" --warmup "$WARMUP" --secs "$SECS" --runs "$RUNS" "$@" \
    2>>"$OUT/loadgen.log" | grep '^RESULT' >"$OUT/$label.$w.$c.$n" || {
      log "loadgen failed: $label $w C=$c N=$n (see below)"; tail -5 "$OUT/loadgen.log" >&2
      echo "RESULT failed=1" >"$OUT/$label.$w.$c.$n"
    }
  log "$(printf '%-7s %-8s C=%-2s N=%-4s' "$label" "$w" "$c" "$n") qps=$(get "$OUT/$label.$w.$c.$n" qps)" \
    "p50=$(get "$OUT/$label.$w.$c.$n" p50_us)us p99=$(get "$OUT/$label.$w.$c.$n" p99_us)us" \
    "errors=$(get "$OUT/$label.$w.$c.$n" errors)"
}

# get FILE KEY: the value of KEY=... in FILE's RESULT line ("" if none).
get() {
  [ -f "$1" ] || return 0
  tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -1
}

idle_point() {
  local label=$1 port=$2 pid=$3
  "$BIN/loadgen" idle --addr "127.0.0.1:$port" --pid "$pid" --conns "$IDLE_CONNS" --settle 3 \
    2>>"$OUT/loadgen.log" | grep '^IDLE' >"$OUT/$label.idle" || echo "IDLE failed=1" >"$OUT/$label.idle"
  log "$label idle: $(cat "$OUT/$label.idle")"
}

raw_dispatch() {
  if [ "$RAW_DISPATCH" != auto ]; then echo "$RAW_DISPATCH"; return; fi
  # inline is the ceiling for small bodies, split (reader never waits for the writer) for
  # large ones.
  if [ "$1" = bytes64k ]; then echo split; else echo inline; fi
}

# ---------------------------------------------------------------- build
log "building (release) into $CARGO_TARGET_DIR"
cargo build --release -q -p dubbo-bench
if [ "$JAVA" = 1 ]; then scripts/java-peer.sh build; fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$SECONDS

# ---------------------------------------------------------------- 1. raw limit
for w in $WORKLOADS; do
  start raw "$BIN/raw-echo" --port 0 --dispatch "$(raw_dispatch "$w")"
  for p in $POINTS; do loadgen_point raw "$PORT" "$PID" "$w" "${p%:*}" "${p#*:}" --target echo; done
  stop "$PID"
done

# ---------------------------------------------------------------- 2. our provider
start rust-idle "$BIN/rust-provider" --port 0
sleep 0.5
RUST_START_RSS=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$PID/status")
idle_point rust "$PORT" "$PID"
stop "$PID"
start rust "$BIN/rust-provider" --port 0
for w in $WORKLOADS; do
  for p in $POINTS; do loadgen_point rust "$PORT" "$PID" "$w" "${p%:*}" "${p#*:}"; done
done
for p in $POINTS; do
  loadgen_point rustcli "$PORT" "$PID" sayHello "${p%:*}" "${p#*:}" --client rust
  loadgen_point rustconn "$PORT" "$PID" sayHello "${p%:*}" "${p#*:}" --client conn
done
RUST_PEAK=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$PID/status")
stop "$PID"

# ---------------------------------------------------------------- 3. Java provider
JAVA_HOST=$(hostname)
if [ "$JAVA" = 1 ]; then
  if ! getent hosts "$JAVA_HOST" | grep -q '^127\.'; then
    log "host name $JAVA_HOST does not resolve to 127.x; the Java consumer pair is skipped"
    JAVA_HOST=""
  fi
  start java-idle scripts/java-peer.sh provider --registry N/A --port 0
  sleep 2
  JAVA_START_RSS=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$PID/status")
  idle_point java "$PORT" "$PID"
  stop "$PID"
  start java scripts/java-peer.sh provider --registry N/A --port 0
  # Let the JIT compile the hot paths before the first measured point.
  for w in $WORKLOADS; do
    "$BIN/loadgen" run --addr "127.0.0.1:$PORT" --workload "$w" --conns 4 --inflight 64 \
      --warmup 0 --secs 3 --runs 1 >/dev/null 2>&1 || true
  done
  for w in $WORKLOADS; do
    for p in $POINTS; do loadgen_point java "$PORT" "$PID" "$w" "${p%:*}" "${p#*:}"; done
  done
  JAVA_PEAK=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$PID/status")
  # Java consumer -> Java provider, threads = N (one synchronous call each), C connections.
  if [ -n "$JAVA_HOST" ]; then
    for w in $WORKLOADS; do
      for p in $POINTS; do
        c=${p%:*} n=${p#*:}
        for _ in $(seq "$JRUNS"); do
          wait_quiet
          scripts/java-peer.sh consumer --url "dubbo://$JAVA_HOST:$PORT" --bench "$w" \
            --threads "$n" --connections "$c" --warmup "$WARMUP" --duration "$SECS" \
            2>>"$OUT/java-consumer.log" | grep '^BENCH' >>"$OUT/jj.$w.$c.$n.runs" || true
        done
        # median and range over the runs, in the loadgen's RESULT format
        awk '
          { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1], NR] = kv[2] } }
          function med(k,   a, i, n, t, j) {
            n = 0; for (i = 1; i <= NR; i++) a[++n] = v[k, i] + 0
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            lo = a[1]; hi = a[n]; return a[int((n + 1) / 2)]
          }
          END {
            if (NR == 0) { print "RESULT failed=1"; exit }
            e = 0; for (i = 1; i <= NR; i++) e += v["errors", i]
            q = med("qps"); ql = lo; qh = hi
            printf "RESULT label=jj qps=%d qps_lo=%d qps_hi=%d p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
              q, ql, qh, med("p50_us"), med("p99_us"), med("p999_us"), e
          }' "$OUT/jj.$w.$c.$n.runs" 2>/dev/null >"$OUT/jj.$w.$c.$n" || echo "RESULT failed=1" >"$OUT/jj.$w.$c.$n"
        log "$(printf '%-7s %-8s C=%-2s N=%-4s' jj "$w" "$c" "$n") $(cat "$OUT/jj.$w.$c.$n")"
      done
    done
  fi
  stop "$PID"
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
cell() { # FILE: "QPS (lo–hi)"
  local q; q=$(get "$1" qps)
  if [ -z "$q" ]; then echo "–"; return; fi
  echo "$q ($(get "$1" qps_lo)–$(get "$1" qps_hi))"
}
lat() { # FILE: "p50 / p99 / p99.9"
  local a; a=$(get "$1" p50_us)
  if [ -z "$a" ]; then echo "–"; return; fi
  echo "$a / $(get "$1" p99_us) / $(get "$1" p999_us)"
}
ratio() { # A B: A/B with 2 decimals
  if [ -z "$1" ] || [ -z "$2" ] || [ "$2" = 0 ]; then echo "–"; return; fi
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
k() { # KiB -> "N.N MiB"
  if [ -z "${1:-}" ]; then echo "–"; return; fi
  awk -v a="$1" 'BEGIN { printf "%.1f MiB", a / 1024 }'
}

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "## Results"
echo
echo "Machine: $(nproc) CPUs, $CPU; load average $LOAD_START at start, $LOAD_END at end;" \
  "$(date -u '+%Y-%m-%d %H:%M UTC'); warm-up ${WARMUP} s, then $RUNS windows of ${SECS} s per point" \
  "(median and min–max range); Java consumer: $JRUNS run(s) per point. Run time $((SECONDS - START)) s."
echo
echo "### Throughput (calls/s)"
echo
echo "| workload | C, N | raw limit | ours | Java provider | Java consumer → Java | ours / Java | ours / raw |"
echo "|---|---|---|---|---|---|---|---|"
for w in $WORKLOADS; do
  for p in $POINTS; do
    c=${p%:*} n=${p#*:} s="$w.${p%:*}.${p#*:}"
    echo "| $w | $c, $n | $(cell "$OUT/raw.$s") | $(cell "$OUT/rust.$s") | $(cell "$OUT/java.$s") |" \
      "$(cell "$OUT/jj.$s") | $(ratio "$(get "$OUT/rust.$s" qps)" "$(get "$OUT/java.$s" qps)") |" \
      "$(ratio "$(get "$OUT/rust.$s" qps)" "$(get "$OUT/raw.$s" qps)") |"
  done
done
echo
echo "### Latency, µs: p50 / p99 / p99.9 (medians over the windows)"
echo
echo "| workload | C, N | raw limit | ours | Java provider | Java consumer → Java | p99 ours / Java |"
echo "|---|---|---|---|---|---|---|"
for w in $WORKLOADS; do
  for p in $POINTS; do
    c=${p%:*} n=${p#*:} s="$w.${p%:*}.${p#*:}"
    echo "| $w | $c, $n | $(lat "$OUT/raw.$s") | $(lat "$OUT/rust.$s") | $(lat "$OUT/java.$s") |" \
      "$(lat "$OUT/jj.$s") | $(ratio "$(get "$OUT/rust.$s" p99_us)" "$(get "$OUT/java.$s" p99_us)") |"
  done
done
echo
echo "### Rust consumer (dubbo_rpc::Client) → our provider, sayHello"
echo
echo "N calls in flight from N tasks, on a single-threaded runtime, over C connections of the"
echo "client's own (\`connections=C\`, Java's \`connections\`). \"bare transport\": the same tasks"
echo "calling \`transport::client::Connection::request\` on C connections with the pre-encoded body"
echo "(no client stack: no attachments, cluster, balance, timeout or typed codec)."
echo "CPU: microseconds of CPU per call, consumer (the load generator process) + provider."
echo
echo "| C, N | client: calls/s | p50 / p99 / p99.9 µs | / raw limit | CPU µs/call | bare transport: calls/s | / raw limit | CPU µs/call |"
echo "|---|---|---|---|---|---|---|---|"
cpu() { echo "$(get "$1" cpu_us_loadgen) + $(get "$1" cpu_us_provider)"; }
for p in $POINTS; do
  s="sayHello.${p%:*}.${p#*:}"
  echo "| ${p%:*}, ${p#*:} | $(cell "$OUT/rustcli.$s") | $(lat "$OUT/rustcli.$s") |" \
    "$(ratio "$(get "$OUT/rustcli.$s" qps)" "$(get "$OUT/raw.$s" qps)") | $(cpu "$OUT/rustcli.$s") |" \
    "$(cell "$OUT/rustconn.$s") | $(ratio "$(get "$OUT/rustconn.$s" qps)" "$(get "$OUT/raw.$s" qps)") |" \
    "$(cpu "$OUT/rustconn.$s") |"
done
echo
echo "### Memory (RSS)"
echo
echo "| provider | after start | with $IDLE_CONNS idle connections | per idle connection | peak during the load runs |"
echo "|---|---|---|---|---|"
echo "| ours | $(k "${RUST_START_RSS:-}") | $(k "$(get "$OUT/rust.idle" rss_after_kib)") |" \
  "$(get "$OUT/rust.idle" per_conn_kib) KiB | $(k "${RUST_PEAK:-}") |"
if [ "$JAVA" = 1 ]; then
  echo "| Java | $(k "${JAVA_START_RSS:-}") | $(k "$(get "$OUT/java.idle" rss_after_kib)") |" \
    "$(get "$OUT/java.idle" per_conn_kib) KiB | $(k "${JAVA_PEAK:-}") |"
fi

# ---------------------------------------------------------------- bars
bar() { # NAME OK DETAIL
  if [ "$2" = 1 ]; then echo "- [x] $1: $3"; else echo "- [ ] **NOT MET** $1: $3"; fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && b != "" && a + 0 >= b + 0) ? 1 : 0 }'; }
echo
echo "### Bars"
echo
s=sayHello.4.256
if [ "$JAVA" = 1 ]; then
  oq=$(get "$OUT/rust.$s" qps) jq=$(get "$OUT/java.$s" qps)
  op=$(get "$OUT/rust.$s" p99_us) jp=$(get "$OUT/java.$s" p99_us)
  bar "ours ≥ 5× Java provider QPS, sayHello C=4,N=256" "$(ge "$oq" "$(awk -v j="${jq:-0}" 'BEGIN{print 5*j}')")" \
    "$oq vs $jq = $(ratio "$oq" "$jq")×"
  bar "ours p99 ≤ ½ Java's, sayHello C=4,N=256" "$(ge "$(awk -v j="${jp:-0}" 'BEGIN{print j/2}')" "$op")" \
    "$op µs vs $jp µs = $(ratio "$op" "$jp")"
fi
cq=$(get "$OUT/rustcli.$s" qps) rq=$(get "$OUT/raw.$s" qps)
bar "Rust consumer → Rust provider ≥ 20 % of raw limit, C=4,N=256, 100-byte body" \
  "$(ge "$cq" "$(awk -v r="${rq:-0}" 'BEGIN{print 0.2*r}')")" "$cq vs $rq = $(ratio "$cq" "$rq")"
pc=$(get "$OUT/rust.idle" per_conn_kib)
bar "≤ 32 KiB per idle connection (ours)" "$(ge 32 "$pc")" "$pc KiB"
