#!/usr/bin/env bash
# Rerun every benchmark of BENCHMARKS.md, in its order. Figures depend on the machine: note it
# with them. The whole run takes about 40 minutes, 10 of them the soak; `SKIP_SOAK=1` leaves
# the soak out. The fuzzing runs are separate (scripts/fuzz.sh, fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# `scripts/bench.sh endpoints [SECONDS] [LABEL=BINARY ...]`: only the endpoint benchmark,
# `storydesk serve` side by side with its floors (examples/floor.rs) in one run; every row
# with its ratio to its floor, and peak and final resident memory. Give several binaries
# (e.g. `before=/tmp/storydesk-before after=target/release/storydesk`) to compare builds in
# one sitting; `SETTLE_SECS=60` also samples memory a minute after the load.
if [ "${1:-}" = "endpoints" ]; then
  shift
  seconds="${1:-10}"
  [ $# -gt 0 ] && shift
  cargo build --release --bin storydesk --example floor --example endpoints
  echo "== endpoints: floors and storydesk, ${seconds} s per row"
  nproc
  grep -m1 "model name" /proc/cpuinfo || true
  exec ./target/release/examples/endpoints "$seconds" "$@"
fi

echo "== machine"
nproc
grep -m1 "model name" /proc/cpuinfo || true

echo "== desk (criterion)"
cargo bench --bench desk

echo "== metrics: recording and rendering (criterion)"
cargo bench --bench telemetry
echo "== drafting help (criterion)"
cargo bench --bench assist

echo "== checks (criterion)"
cargo bench --bench checks
cargo bench --bench sources_200

echo "== Discord: bare Ed25519 verification (criterion)"
cargo bench --bench ed25519_verify

echo "== Discord: load on POST /discord/interactions (1, 10, 50 connections)"
cargo bench --bench discord_endpoint_load

echo "== peak RSS of a process that opens the 10k-story store"
cargo build --release
printf '/story list\n/story status\n' > target/bench-data/list.story
/usr/bin/time -v ./target/release/storydesk --data target/bench-data/desk-10k \
  local --as erin --script target/bench-data/list.story 2>&1 >/dev/null \
  | grep -E "Maximum resident|Elapsed"

echo "== store: durable transactions, sled and PostgreSQL (1 and 3 replicas), new stories and revisions"
cargo build --release --example store_writes
./target/release/examples/store_writes 4 sled 1
./target/release/examples/store_writes 4 sled 1 revise
for replicas in 1 3; do
  ./target/release/examples/store_writes 4 postgres "$replicas"
  ./target/release/examples/store_writes 4 postgres "$replicas" revise
done

echo "== scheduler: an idle tick and firing, with 1,000 and 100,000 jobs pending"
cargo build --release --example scheduler
for pending in 1000 100000; do
  ./target/release/examples/scheduler "$pending" 1000
done

echo "== endpoints against their floors (Slack and Discord, reads and durable writes)"
scripts/bench.sh endpoints 10

echo "== Slack endpoints under load (signed slash commands and modal submissions)"
cargo build --release --bin storydesk --example slack_load
./target/release/examples/slack_load 10

echo "== crash safety: kills of storydesk serve under signed Slack writes (seed printed)"
cargo test --test crash -- --nocapture

if [ -z "${SKIP_SOAK:-}" ]; then
  echo "== soak: 10 minutes of steady mixed load, memory and descriptors sampled"
  scripts/soak.sh 600
fi
