#!/usr/bin/env bash
# Run every cargo-fuzz target for SECONDS each (default 600), two at a time, then minimise
# each corpus (cmin, one input per covered edge) so what is committed stays small. See
# fuzz/README.md.
#
#   scripts/fuzz.sh            # every target, 10 minutes each
#   scripts/fuzz.sh 60 chunk   # one target, one minute
#
# Uses the nightly toolchain when rustup has one; otherwise the stable one with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly-only compiler flags for its sanitizers and
# coverage instrumentation).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list 2>/dev/null || sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | grep -v storydesk-fuzz)
fi
if rustup run nightly rustc --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
"${fuzz[@]}" build
mkdir -p logs
run() {
  local t="$1"
  mkdir -p "corpus/$t"
  "${fuzz[@]}" run "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 >"logs/$t.log" 2>&1 || {
    echo "$t: the fuzzer stopped on a finding; see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    return 1
  }
  # Keep one input per covered edge (not per hit count): a corpus small enough to commit.
  "${fuzz[@]}" cmin "$t" "corpus/$t" -- -use_counters=0 >>"logs/$t.log" 2>&1
  echo "$t: $(grep -E '^stat::number_of_executed_units' "logs/$t.log" | tail -1 | awk '{print $2}') runs, $(grep -E '^stat::average_exec_per_sec' "logs/$t.log" | tail -1 | awk '{print $2}')/s, corpus $(ls "corpus/$t" | wc -l) files ($(du -sh "corpus/$t" | cut -f1))"
}
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" & a=$!
  if [ $((i + 1)) -lt ${#targets[@]} ]; then run "${targets[i + 1]}" & b=$!; else b=""; fi
  wait $a || status=1
  if [ -n "$b" ]; then wait $b || status=1; fi
done
exit $status
