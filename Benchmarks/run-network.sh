#!/usr/bin/env bash
# Builds the network benchmark in release mode and runs it: 50 HashiCorp serf
# agents on loopback, then 50 Civitas nodes (TLS gossip) on loopback, each
# timed for one event to reach all nodes and counted for the bytes each node
# sends (issue #5). Needs the Debian package `serf` (apt-get install -y serf).
#
# As root (and with `ip netns`), the benchmark runs in a network namespace of
# its own, so the loopback counters it reads from /proc/net/dev see nothing
# but the cluster under test. Otherwise it runs on the host's loopback and
# every other loopback user is counted too (the output says so).
#
# The full output is printed and also written to Benchmarks/results/network-bench.txt.
# Extra arguments go to the benchmark (e.g. --quick, --events 20, --serf-coalesce).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
serf="$(command -v serf || true)"
if [ -z "$serf" ]; then
    echo "serf is not installed: apt-get install -y serf (the Debian package)" >&2
    exit 1
fi
swift build -c release --package-path "$here" --product NetworkBenchmark
bin="$(swift build -c release --package-path "$here" --show-bin-path)/NetworkBenchmark"
mkdir -p "$here/results"
out="$here/results/network-bench.txt"
work="$here/.build/network-bench"
ns=""
cleanup() {
    # The serf agents this run started (the benchmark stops them itself; this
    # is for a benchmark that crashed or was interrupted).
    if [ -f "$work/serf/serf.pids" ]; then
        while read -r pid; do
            [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
        done < "$work/serf/serf.pids"
    fi
    if [ -n "$ns" ]; then ip netns delete "$ns" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM
run=("$bin" --serf "$serf" --work "$work")
where="the host's loopback (not root or no ip netns: other loopback traffic on the machine is counted too)"
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add "civitas-netbench-$$" 2>/dev/null; then
    ns="civitas-netbench-$$"
    ip netns exec "$ns" ip link set lo up
    run=(ip netns exec "$ns" "${run[@]}")
    where="loopback of network namespace $ns (nothing else uses it)"
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
set +e
{
    # Which library code was measured (the benchmark builds the work tree, committed or not).
    if rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null)"; then
        dirty=""
        git -C "$root" diff --quiet HEAD -- Sources/CivitasNetwork Sources/CivitasGossip Sources/CivitasIdentity \
            || dirty=" + uncommitted changes in Sources/CivitasNetwork, CivitasGossip or CivitasIdentity"
        echo "library: commit $rev$dirty; $(swift --version 2>/dev/null | head -1)"
    fi
    echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores," \
        "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shares the cores)"
    echo "serf: $("$serf" version | head -1) ($serf, Debian package $(dpkg-query -W -f='${Version}' serf 2>/dev/null || echo '?'))"
    echo "network: $where"
    echo "command: Benchmarks/run-network.sh $*"
    echo
    "${run[@]}" "$@"
} 2>&1 | tee "$out.tmp"
status=${PIPESTATUS[0]}
set -e
mv "$out.tmp" "$out"
exit "$status"
