#!/usr/bin/env bash
# Framed TLS throughput between two Civitas transports beside raw TCP and
# bare NIOSSL (TLS 1.3, no framing: the ceiling for TLS on NIOSSL), on
# loopback, in one run. Output also goes to Benchmarks/results/tls-bench.txt.
# Extra arguments go to the benchmark (--quick, --message-kib N, --rounds N).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
swift build -c release --package-path "$here" --product TLSBenchmark
bin="$(swift build -c release --package-path "$here" --show-bin-path)/TLSBenchmark"
mkdir -p "$here/results"
out="$here/results/tls-bench.txt"
{
    echo "library: commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); $(swift --version 2>/dev/null | head -1)"
    echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "command: Benchmarks/run-tls.sh $*"
    echo
    "$bin" "$@"
} | tee "$out.tmp"
mv "$out.tmp" "$out"
