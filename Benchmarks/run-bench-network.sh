#!/usr/bin/env bash
# `make bench-network`: TLS beside raw TCP, simulated dissemination at
# N = 100, 1,000 and 5,000, and 50 Civitas nodes beside 50 serf agents on
# loopback; ends with the issue's one-line summary. Each part also writes
# its own file under Benchmarks/results/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$here/run-tls.sh" "$@" | tee -a "$log"
echo
"$here/run-gossip-sim.sh" "$@" | tee -a "$log"
echo
if [ -x "$here/run-network.sh" ]; then
    "$here/run-network.sh" "$@" | tee -a "$log"
else
    echo "serf comparison: Benchmarks/run-network.sh is missing" | tee -a "$log"
fi
tls="$(sed -n 's/^tls: \([0-9.]*\)% of raw tcp.*/\1/p' "$log" | tail -1)"
copies="$(sed -n 's/^gossip: copies\/node \([0-9.]*\) at N=1000.*/\1/p' "$log" | tail -1)"
serf_time="$(sed -n 's/^serf: time \([0-9.]*\)x bytes \([0-9.]*\)x.*/\1/p' "$log" | tail -1)"
serf_bytes="$(sed -n 's/^serf: time \([0-9.]*\)x bytes \([0-9.]*\)x.*/\2/p' "$log" | tail -1)"
echo
echo "network: tls ${tls:-?}% of raw tcp, copies/node ${copies:-?} at N=1000, vs serf time ${serf_time:-?}x bytes ${serf_bytes:-?}x"
