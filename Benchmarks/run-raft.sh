#!/usr/bin/env bash
# Builds the Raft benchmark in release mode and runs it; the full output is
# printed and also written to Benchmarks/results/raft.txt.
# Extra arguments go to the benchmark (e.g. --quick).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
swift build -c release --package-path "$here" --product RaftBenchmark
bin="$(swift build -c release --package-path "$here" --show-bin-path)/RaftBenchmark"
mkdir -p "$here/results"
"$bin" "$@" | tee "$here/results/raft.txt.tmp"
mv "$here/results/raft.txt.tmp" "$here/results/raft.txt"
