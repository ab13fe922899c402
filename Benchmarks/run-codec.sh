#!/usr/bin/env bash
# Builds the codec benchmark in release mode and runs it; the full output is
# printed and also written to Benchmarks/results/codec.txt.
# Extra arguments go to the benchmark (e.g. --quick, --rounds 9).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
swift build -c release --package-path "$here" --product CodecBenchmark
bin="$(swift build -c release --package-path "$here" --show-bin-path)/CodecBenchmark"
mkdir -p "$here/results"
out="$here/results/codec.txt"
{
    # Which library code was measured (the benchmark builds the work tree, committed or not).
    if rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null)"; then
        dirty=""
        git -C "$root" diff --quiet HEAD -- Sources/CivitasCodec Sources/CivitasLedger || dirty=" + uncommitted changes in Sources/CivitasCodec or Sources/CivitasLedger"
        echo "library: commit $rev$dirty; $(swift --version 2>/dev/null | head -1)"
        echo
    fi
    "$bin" "$@"
} | tee "$out.tmp"
mv "$out.tmp" "$out"
