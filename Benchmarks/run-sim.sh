#!/usr/bin/env bash
# Issue #17's benchmark: simulations/district-40.toml (40 communities, 1,000
# of the product's nodes) for one simulated hour in a release build, with its
# wall time and peak RSS (/usr/bin/time -v); the digest checked stable by
# running a short slice twice; and a city of 5,000 nodes (200 communities)
# for a few simulated minutes, which must run. Ends with one line:
#   city-sim: <n> nodes, 1 h simulated in <s> s wall, <m> MiB peak, digest stable <yes|no>
# SIM_SCRATCH: the release build directory (default .build-release).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${SIM_SCRATCH:-$root/.build-release}"
swift build -c release --product civitas --scratch-path "$scratch"
bin="$scratch/release/civitas"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mkdir -p Benchmarks/results
log=Benchmarks/results/sim-bench.txt
{
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
    digest() { "$bin" sim city simulations/district-40.toml --duration 60s --out "$out/$1" | sed -n 's/^report digest //p'; }
    first="$(digest a)"; second="$(digest b)"
    stable=no; [ -n "$first" ] && [ "$first" = "$second" ] && stable=yes
    echo "district-40, 60 s simulated twice: $first / $second (stable: $stable)"
    /usr/bin/time -v "$bin" sim city simulations/district-40.toml --out "$out/hour" > "$out/hour.txt" 2> "$out/hour.time"
    cat "$out/hour.txt"
    wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/hour.time" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')"
    peak_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/hour.time")"
    peak=$((peak_kb / 1024))
    echo "district-40, 1 h: ${wall} s wall, ${peak} MiB peak, $(awk -v w="$wall" 'BEGIN { printf "%.1f", 3600 / w }') simulated s per wall s, $(awk -v p="$peak" 'BEGIN { printf "%.2f", p / 1000 }') MiB per node"
    # 5,000 nodes: district-40's communities five times over (200 communities), a few simulated minutes.
    python3 - "$out/city-200.toml" <<'PY'
import sys, re
text = open("simulations/district-40.toml").read()
head, _, rest = text.partition("[[community]]")
blocks = ["[[community]]" + b for b in rest.split("[[community]]")]
out = [head.replace("duration = \"1h\"", "duration = \"3m\"")]
for k in range(5):
    for b in blocks:
        b = re.sub(r'name = "([a-z-]+)"', lambda m: f'name = "{m.group(1)}-{k + 1}"', b)
        b = re.sub(r'x_km = ([0-9.]+)', lambda m: f'x_km = {float(m.group(1)) + 13 * k:.1f}', b)
        out.append(b)
open(sys.argv[1], "w").write("\n".join(out))
PY
    /usr/bin/time -v "$bin" sim city "$out/city-200.toml" --out "$out/city-200" > "$out/city-200.txt" 2> "$out/city-200.time" || true
    grep -E "^city |safety|SAFETY" "$out/city-200.txt" || true
    echo "5,000 nodes, 3 min simulated: $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/city-200.time") wall, $(( $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/city-200.time") / 1024 )) MiB peak"
    echo "city-sim: 1000 nodes, 1 h simulated in ${wall} s wall, ${peak} MiB peak, digest stable ${stable}"
} | tee "$log"
