#!/usr/bin/env bash
# test.sh - the whole test suite, from a fresh machine: installs and starts what the tests
# need (Debian's ZooKeeper, the Java Dubbo 3.3 peer built with Maven), then runs every
# Rust test against them. `.ci/run` calls this script.
#
# Usage: scripts/test.sh            everything
#        SKIP_JAVA=1 scripts/test.sh   Rust tests only (the interop suite then fails loudly)
#
# Environment: CARGO_TARGET_DIR is honoured; ZK_PORT (default 2181) is the shared ZooKeeper.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
ZK_PORT=${ZK_PORT:-2181}

step() { printf '\n==> %s\n' "$*" >&2; }

step "ZooKeeper: install (if missing) and start on 127.0.0.1:$ZK_PORT"
scripts/zk/install.sh
ZK_CONNECT=$(scripts/zk/zk-start.sh "$ZK_PORT")
export ZK_CONNECT
trap 'scripts/zk/zk-stop.sh "$ZK_PORT" --purge >/dev/null 2>&1 || true' EXIT

if [ "${SKIP_JAVA:-0}" != 1 ]; then
  step "Java Dubbo 3.3 peer: build (Maven, cached)"
  scripts/java-peer.sh build
  JAVA_PEER_CLASSPATH=$(scripts/java-peer.sh classpath)
  export JAVA_PEER_CLASSPATH
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (ZooKeeper at $ZK_CONNECT)"
cargo test --workspace --quiet -- --test-threads=2
