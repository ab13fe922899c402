#!/usr/bin/env bash
# Builds the gossip benchmark in release mode and runs it; the full output is
# printed and also written to Benchmarks/results/gossip-sim.txt.
# Extra arguments go to the benchmark (e.g. --quick, --messages 50).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
swift build -c release --package-path "$here" --product GossipBenchmark
bin="$(swift build -c release --package-path "$here" --show-bin-path)/GossipBenchmark"
mkdir -p "$here/results"
"$bin" "$@" | tee "$here/results/gossip-sim.txt.tmp"
mv "$here/results/gossip-sim.txt.tmp" "$here/results/gossip-sim.txt"
