#!/usr/bin/env bash
# Builds the storage benchmark in release mode and runs it on the real disk,
# in Benchmarks/.build/storage-bench (removed afterwards; --keep keeps it).
# The full output is printed and also written to Benchmarks/results/storage-bench.txt.
# Extra arguments go to the benchmark (e.g. --quick, --dir DIR).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
swift build -c release --package-path "$here" --product StorageBenchmark
bin="$(swift build -c release --package-path "$here" --show-bin-path)/StorageBenchmark"
mkdir -p "$here/results"
out="$here/results/storage-bench.txt"
{
    # Which library code was measured (the benchmark builds the work tree, committed or not).
    if rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null)"; then
        dirty=""
        git -C "$root" diff --quiet HEAD -- Sources/CivitasStorage || dirty=" + uncommitted changes in Sources/CivitasStorage"
        echo "library: commit $rev$dirty; $(swift --version 2>/dev/null | head -1)"
    fi
    echo "command: Benchmarks/run-storage.sh $*"
    echo
    "$bin" --dir "$here/.build/storage-bench" "$@"
} | tee "$out.tmp"
mv "$out.tmp" "$out"
