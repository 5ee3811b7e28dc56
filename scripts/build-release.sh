#!/usr/bin/env bash
# The release build, exactly as the Dockerfile runs it; CI runs it too, so a broken build
# step is caught without Docker. Leaves the binary at target/release/storydesk.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
./target/release/storydesk --version
./target/release/storydesk commands discord > /dev/null
