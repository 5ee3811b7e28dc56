#!/usr/bin/env bash
# Soak: storydesk serve for SECONDS (default 600) under a steady mixed load against the fake
# Slack and Discord on loopback (80% reads, 20% writes, an edition published every 30 s),
# sampling its resident memory and open file descriptors every 10 s. Prints the sample table
# and whether both levelled off; exits non-zero when they did not, or a request failed.
#
#   scripts/soak.sh                              # 10 minutes at 100 requests/s
#   scripts/soak.sh 120 50                       # 2 minutes at 50 requests/s
#   scripts/soak.sh 1800 100 --remember-secs 120 # more options go to examples/soak.rs
#
# Its data directory is a temporary one, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
rate="${2:-100}"
shift 2 || shift $#

cargo build --release --bin storydesk --example soak
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
STORYDESK_BIN=target/release/storydesk ./target/release/examples/soak \
  --seconds "$seconds" --rate "$rate" --sample 10 --publish-every 30 "$@"
