#!/usr/bin/env bash
# Ordering benchmark (issue #6): a 3-member etcd 3.4 cluster on loopback
# (default fsync) beside a 3-validator Civitas community, in one run, under the
# same load generator (Benchmarks/Sources/OrderingLoad), plus this machine's
# Ed25519 verification ceiling. Output also goes to Benchmarks/results/ordering.txt.
#
#   Benchmarks/run-ordering.sh            # etcd + ceiling + Civitas (if it can be started)
#   Benchmarks/run-ordering.sh --quick    # short phases, for a smoke test
#
# Settings (environment): ORDERING_RATE (fixed offered load, writes/s, default
# 1000, with at most 256 requests in flight), ORDERING_SECONDS (measured seconds per phase, default 15),
# ORDERING_WARMUP (seconds excluded before each phase, default 3),
# ORDERING_CONCURRENCY (closed-loop in-flight levels for saturation, default
# 16,64,256), ORDERING_SIGNERS (Civitas signer keys, default 256: each
# connection owns its signers so that their nonces stay in order, so there are
# at least as many signers as connections).
#
# Everything it starts (etcd members, Civitas validators) runs from a temporary
# directory and is stopped, and the directory removed, on exit (trap).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

quick=0
for a in "$@"; do
    case "$a" in
        --quick) quick=1 ;;
        -h|--help) sed -n 2,17p "$0"; exit 0 ;;
        *) echo "run-ordering.sh: unknown argument '$a' (known: --quick)" >&2; exit 2 ;;
    esac
done
rate="${ORDERING_RATE:-1000}"
seconds="${ORDERING_SECONDS:-15}"
warmup="${ORDERING_WARMUP:-3}"
levels="${ORDERING_CONCURRENCY:-16,64,256}"
signers="${ORDERING_SIGNERS:-256}"
if [ "$quick" = 1 ]; then seconds="${ORDERING_SECONDS:-4}"; warmup="${ORDERING_WARMUP:-1}"; levels="${ORDERING_CONCURRENCY:-64}"; fi
open_lanes=256
need="$open_lanes"
for l in ${levels//,/ }; do [ "$l" -gt "$need" ] && need="$l"; done
[ "$signers" -ge "$need" ] || signers="$need"

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

# --- etcd from Debian's packages -------------------------------------------

# Debian's etcd-server package may start its own member (data in
# /var/lib/etcd, client port 2379) through systemd or SysV init. It would take
# CPU and disk from the cluster under test, so it is stopped. Only an etcd
# whose command line does not name this run's temporary directory is touched.
stop_debian_etcd() {
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        $SUDO systemctl stop etcd >/dev/null 2>&1 || true
    fi
    if command -v service >/dev/null 2>&1; then
        $SUDO service etcd stop >/dev/null 2>&1 || true
    fi
    # Without systemd or SysV init, a member the package started is found by
    # its command line: Debian's service runs etcd with no --data-dir argument
    # (it reads ETCD_DATA_DIR=/var/lib/etcd/default from /etc/default/etcd).
    # Members started by anyone else name their own --data-dir and are left alone.
    local pid cmd
    for pid in $(pgrep -x etcd 2>/dev/null || true); do
        cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        case "$cmd" in
            *--data-dir*) ;;
            "") ;;
            *) echo "stopping Debian's etcd service member (pid $pid: $cmd)"; $SUDO kill "$pid" 2>/dev/null || true ;;
        esac
    done
}

ensure_etcd() {
    if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
        echo "installing etcd-server and etcd-client (Debian packages)"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server etcd-client >/dev/null
    fi
    stop_debian_etcd
}

# Members 1..3: client port 2N379+…, e.g. 127.0.0.1:22379, 22479, 22579 (peer port +1).
etcd_client_port() { echo $((22279 + 100 * $1)); }
etcd_peer_port() { echo $((22280 + 100 * $1)); }
etcd_pids=()

start_etcd() {
    local cluster="" i
    for i in 1 2 3; do cluster="${cluster:+$cluster,}e$i=http://127.0.0.1:$(etcd_peer_port $i)"; done
    for i in 1 2 3; do
        mkdir -p "$work/etcd$i"
        # Defaults kept: fsync of the WAL on every commit, 100 ms heartbeat,
        # snapshot count 100,000. Only addresses and logging are set.
        etcd --name "e$i" --data-dir "$work/etcd$i/data" \
            --listen-client-urls "http://127.0.0.1:$(etcd_client_port $i)" \
            --advertise-client-urls "http://127.0.0.1:$(etcd_client_port $i)" \
            --listen-peer-urls "http://127.0.0.1:$(etcd_peer_port $i)" \
            --initial-advertise-peer-urls "http://127.0.0.1:$(etcd_peer_port $i)" \
            --initial-cluster "$cluster" --initial-cluster-state new \
            --initial-cluster-token "ordering-bench-$$" \
            --logger zap --log-level warn \
            >"$work/etcd$i/log" 2>&1 &
        etcd_pids+=("$!")
    done
    local eps="" deadline=$((SECONDS + 30))
    for i in 1 2 3; do eps="${eps:+$eps,}127.0.0.1:$(etcd_client_port $i)"; done
    until ETCDCTL_API=3 etcdctl --endpoints="$eps" endpoint health >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "etcd: the cluster was not healthy within 30 s; member logs:" >&2
            tail -n 5 "$work"/etcd*/log >&2
            return 1
        fi
        sleep 0.3
    done
    etcd_endpoints="$eps"
    # The leader's client URL: writes go to it only (a follower would forward
    # each proposal to it, adding a hop etcd's own clients avoid by preferring it).
    etcd_leader=""
    local line
    while IFS= read -r line; do
        # Table columns: endpoint, ID, version, db size, is leader, ...
        case "$line" in *", true, "*) etcd_leader="${line%%,*}" ;; esac
    done < <(ETCDCTL_API=3 etcdctl --endpoints="$eps" endpoint status -w simple 2>/dev/null)
    [ -n "$etcd_leader" ] || etcd_leader="${eps%%,*}"
}

# SIGTERM, then SIGKILL after 10 s (a leader whose followers are already gone
# can wait a long time trying to hand over its leadership).
stop_pids() {
    local pid deadline=$((SECONDS + 10))
    for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        # (an exited child stays a zombie until `wait`: state Z counts as gone)
        while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] \
            && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

# User plus system CPU seconds the given processes have used so far (/proc/PID/stat).
cpu_seconds() {
    local pid ticks=0 hz
    hz="$(getconf CLK_TCK)"
    for pid in "$@"; do
        ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    awk -v t="$ticks" -v hz="$hz" 'BEGIN { printf "%.3f", t / hz }'
}

stop_etcd() {
    [ "${#etcd_pids[@]}" -eq 0 ] || stop_pids "${etcd_pids[@]}"
    etcd_pids=()
}

# --- Civitas -----------------------------------------------------------------

civitas_pids=()
civitas_urls=""

# HOOK (lead): start 3 Civitas validators here.
#   In:  $root (repository root: build the node with
#        `swift build -c release --package-path "$root" --product civitas`),
#        $work (temporary directory, removed on exit), $keys_dir (signer
#        private keys, signer-NNN.pem, $signers of them), $signer_pubkeys (one
#        lowercase hex Ed25519 public key per line, in signer order: register
#        them in the genesis with whatever role lets them issue a `notice` of
#        category general — or switch the generator to --kind volunteerRecord),
#        $community (the community name the transactions carry: "bench").
#   Do:  write genesis + mutual-TLS material under $work, start the three
#        validators (fsync on, every node verifying every signature) in the
#        background, append each pid to civitas_pids, wait until all three
#        answer on their HTTP API, and set civitas_urls to their base URLs,
#        comma-separated, plain http (e.g. http://127.0.0.1:28081,http://127.0.0.1:28082,...).
#        Use ports away from etcd's 22379-22580. Everything the validators
#        print is best sent to files under $work (the output file is the run's report).
#   Out: return 0 when started; otherwise set civitas_reason and return 1
#        (the run then prints "civitas: not run — <reason>" and no summary line).
civitas_reason=""
# Three validators set up as an operator would (`civitas ca init`, `civitas init`,
# `civitas genesis`), on loopback with mutual TLS; the signers are registered as
# social organisations (who may publish general notices). Blocks are cut as soon
# as a transaction waits (block interval 1 ms): the leader batches whatever
# arrived while its earlier proposals (at most 4) were being replicated, as etcd does.
start_civitas() {
    local bin c i subject node n=0
    # CIVITAS_SCRATCH: another build directory for the release civitas (default: the package's .build).
    scratch=(--scratch-path "${CIVITAS_SCRATCH:-$root/.build}")
    if ! swift build -c release --package-path "$root" "${scratch[@]}" --product civitas > "$work/civitas-build.log" 2>&1; then
        civitas_reason="the release build of civitas failed (see the build log)"; return 1
    fi
    bin="$(swift build -c release --package-path "$root" "${scratch[@]}" --show-bin-path)/civitas"
    c="$work/civitas"
    mkdir -p "$c"
    "$bin" ca init --community "$community" --out "$c/ca" > "$c/setup.log" 2>&1 || { civitas_reason="civitas ca init failed"; return 1; }
    for i in 1 2 3; do
        "$bin" init --community "$community" --role validator --dir "$c/v$i" --ca-dir "$c/ca" \
            --listen "127.0.0.1:$((28000 + i))" --client-listen "127.0.0.1:$((28100 + i))" --admin-listen "127.0.0.1:$((28200 + i))" \
            --seed 127.0.0.1:28001 --seed 127.0.0.1:28002 --seed 127.0.0.1:28003 \
            > "$c/v$i.out" 2>&1 || { civitas_reason="civitas init failed"; return 1; }
    done
    {
        echo "community = \"$community\""
        for i in 1 2 3; do
            subject="$(awk '/^subject key/ {print $5}' "$c/v$i.out")"
            node="$(awk '/^node key/ {print $5}' "$c/v$i.out")"
            printf '[[validators]]\nname = "validator %d"\nsubject = "%s"\nnode = "%s"\n' "$i" "$subject" "$node"
            printf '[[subjects]]\nkey = "%s"\ndisplay_name = "Committee %d"\nunit = "office"\nroles = ["residentsCommittee"]\n' "$subject" "$i"
        done
        while read -r key; do
            n=$((n + 1))
            printf '[[subjects]]\nkey = "%s"\ndisplay_name = "Signer %d"\nunit = "bench"\nroles = ["socialOrganization"]\n' "$key" "$n"
        done < "$signer_pubkeys"
    } > "$c/genesis.toml"
    "$bin" genesis --from "$c/genesis.toml" --out "$c/genesis.civ" --block-interval-ms 1 >> "$c/setup.log" 2>&1 \
        || { civitas_reason="civitas genesis failed: $(tail -1 "$c/setup.log")"; return 1; }
    civitas_urls=""
    for i in 1 2 3; do
        cp "$c/genesis.civ" "$c/v$i/genesis.civ"
        # The load generator's connections all come from 127.0.0.1: lift the per-address cap.
        sed -i -e 's/^level = .*/level = "warning"/' \
            -e '/^admin_listen = /a max_connections = 2048\nmax_connections_per_address = 2048' "$c/v$i/node.toml"
        "$bin" node run --config "$c/v$i/node.toml" > "$c/v$i.log" 2>&1 &
        civitas_pids+=("$!")
        civitas_urls="${civitas_urls:+$civitas_urls,}http://127.0.0.1:$((28100 + i))"
    done
    for _ in $(seq 1 300); do
        local ready=0
        for i in 1 2 3; do
            curl -fs "http://127.0.0.1:$((28200 + i))/readyz" > /dev/null 2>&1 && ready=$((ready + 1))
        done
        [ "$ready" = 3 ] && return 0
        sleep 0.2
    done
    civitas_reason="the validators did not become ready in 60 s: $(tail -2 "$c/v1.log" | tr '\n' ' ')"
    return 1
}

stop_civitas() {
    [ "${#civitas_pids[@]}" -eq 0 ] || stop_pids "${civitas_pids[@]}"
    civitas_pids=()
}

# --- run ---------------------------------------------------------------------

work="$(mktemp -d "${TMPDIR:-/tmp}/civitas-ordering.XXXXXX")"
cleanup() {
    stop_civitas
    stop_etcd
    rm -rf "$work"
    # An interrupted run leaves no partial report behind.
    rm -f "$here/results/ordering.txt.tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_etcd
swift build -c release --package-path "$here" --product OrderingLoad
bin="$(swift build -c release --package-path "$here" --show-bin-path)/OrderingLoad"

mkdir -p "$here/results"
out="$here/results/ordering.txt"
community="bench"
keys_dir="$work/signers"
signer_pubkeys="$work/signers.pub"
common=(--warmup "$warmup" --seconds "$seconds" --open-lanes "$open_lanes")

exec > >(tee "$out.tmp") 2>&1
{
    echo "library: commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); $(swift --version 2>/dev/null | head -1)"
    echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "peer: $(etcd --version 2>/dev/null | head -1) (Debian etcd-server), 3 members on loopback, default fsync"
    echo "command: Benchmarks/run-ordering.sh $*  (rate $rate/s, $seconds s measured after $warmup s warm-up per phase, saturation levels $levels)"
    echo "note: the load generator runs on the same $(nproc) cores as the cluster under test and takes CPU from it."
    echo

    echo "== Ed25519 verification ceiling (PublicKey.isValidSignature on the benchmark's own signed transactions)"
    "$bin" ceiling --seconds "$([ "$quick" = 1 ] && echo 2 || echo 5)" --signers "$signers" --community "$community" \
        | tee "$work/ceiling.txt"
    echo

    echo "== etcd 3.4: 3 members on loopback, gRPC KV.Put to the leader"
    start_etcd
    echo "etcd endpoints $etcd_endpoints; leader $etcd_leader; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$bin" etcd --endpoints "$etcd_leader" --rate "$rate" --concurrency "$levels" "${common[@]}" | tee "$work/etcd.txt"
    echo "result: phase=cluster target=etcd cpu_seconds=$(cpu_seconds "${etcd_pids[@]}")" | tee -a "$work/etcd.txt"
    stop_etcd
    echo

    echo "== Civitas: 3 validators on loopback, mutual TLS, fsync, every node verifying every signature"
    civitas_ok=0
    "$bin" keys --signers "$signers" --key-dir "$keys_dir" --write-public-keys "$signer_pubkeys"
    if start_civitas; then
        civitas_ok=1
        echo "civitas nodes $civitas_urls; load average $(cut -d' ' -f1-3 /proc/loadavg)"
        civ=(civitas --nodes "$civitas_urls" --key-dir "$keys_dir" --signers "$signers" --community "$community")
        # One process for both phases: each signer's nonces continue from phase to phase.
        if ! "$bin" "${civ[@]}" --rate "$rate" --concurrency "$levels" "${common[@]}" | tee "$work/civitas.txt"; then
            civitas_ok=0
            echo "civitas: not run to the end — the load generator failed (above)"
        fi
        echo "result: phase=cluster target=civitas cpu_seconds=$(cpu_seconds "${civitas_pids[@]}")" | tee -a "$work/civitas.txt"
        stop_civitas
    else
        stop_civitas
        echo "civitas: not run — ${civitas_reason:-start_civitas failed}"
    fi
    echo
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

    if [ "$civitas_ok" = 1 ]; then
        # Each result file has machine-readable lines "result: key=value ..."; the
        # generator computes the ratios (no arithmetic on figures in shell).
        "$bin" summary --etcd "$work/etcd.txt" --civitas "$work/civitas.txt" --ceiling "$work/ceiling.txt"
    fi
}
mv "$out.tmp" "$out"
