#!/usr/bin/env bash
# Issue #17's benchmark (`make bench-sim`): the city planners' district-40 —
# 40 communities × 25 nodes = 1,000 of the product's own nodes — for one
# simulated hour at the node's own 100 ms tick (civitas-sim-bench, release).
# First a short 1,000-node run (60 s simulated) twice, to check that the
# report's digest is the same both times; then the hour. The full output is
# printed and written to Benchmarks/results/city-sim.txt; the last line is
#   city-sim: <n> nodes, 1 h simulated in <s> s wall, <m> MiB peak, digest stable <yes|no>
# Pass the binary's path to skip the build (e.g. .build-release/release/civitas-sim-bench).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
if [ $# -ge 1 ]; then
    bin="$1"
else
    swift build -c release --package-path "$root" --product civitas-sim-bench
    bin="$(swift build -c release --package-path "$root" --show-bin-path)/civitas-sim-bench"
fi
mkdir -p "$here/results"
out="$here/results/city-sim.txt.tmp"
: > "$out"
field() { sed -n "s/.*$1.*/\\1/p" <<<"$2"; }

first=$("$bin" --communities 40 --seconds 60 | tee -a "$out" | grep '^sim-bench:')
second=$("$bin" --communities 40 --seconds 60 | tee -a "$out" | grep '^sim-bench:')
a=$(field 'digest \([0-9a-f]*\)' "$first")
b=$(field 'digest \([0-9a-f]*\)' "$second")
stable=no
[ -n "$a" ] && [ "$a" = "$b" ] && stable=yes

hour=$("$bin" --communities 40 --seconds 3600 | tee -a "$out" | tee /dev/stderr | grep '^sim-bench:')
nodes=$(field 'sim-bench: \([0-9]*\) nodes' "$hour")
wall=$(field 'simulated in \([0-9.]*\) s wall' "$hour")
peak=$(field 'peak \([0-9]*\) MiB' "$hour")
line="city-sim: $nodes nodes, 1 h simulated in $wall s wall, $peak MiB peak, digest stable $stable"
echo "$line" >> "$out"
mv "$out" "$here/results/city-sim.txt"
echo "$line"
grep -q ', passed$' <<<"$hour" && [ "$stable" = yes ]
