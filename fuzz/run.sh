#!/usr/bin/env bash
# Fuzzes every decoder for SECONDS each, one target after another.
#
# Usage: fuzz/run.sh SECONDS [target ...]      (default: every target)
#
# Builds first if a binary is missing or older than its sources. Each target
# fuzzes a working corpus fuzz/work/<target>/ (seeded from the committed
# fuzz/corpus/<target>/, kept between runs), writes crash, timeout and OOM
# inputs to fuzz/artifacts/<target>/ and its log to fuzz/work/<target>.log.
# Exits non-zero if any target found a crash.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

SECONDS_PER_TARGET="${1:-}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: fuzz/run.sh SECONDS [target ...]" >&2
    exit 2
fi
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${TARGETS[@]}")
for t in "${targets[@]}"; do
    [[ " ${TARGETS[*]} " == *" $t "* ]] || { echo "unknown target '$t' (known: ${TARGETS[*]})" >&2; exit 2; }
done

# Rebuild when a binary is missing or any input is newer than it.
needs_build=0
for t in "${targets[@]}"; do
    bin="$FUZZ_DIR/bin/fuzz-$t"
    if [ ! -x "$bin" ] || [ -n "$(find Sources/CivitasCodec Sources/CivitasLedger Sources/CZstd Package.swift \
            "$FUZZ_DIR/harness.swift" "$FUZZ_DIR/build.sh" "$FUZZ_DIR/common.sh" -newer "$bin" -print -quit)" ]; then
        needs_build=1
    fi
done
if [ "$needs_build" = 1 ]; then
    "$FUZZ_DIR/build.sh" "${targets[@]}" || { echo "fuzz/build.sh failed" >&2; exit 1; }
fi

mkdir -p "$FUZZ_DIR/work" "$FUZZ_DIR/artifacts"
declare -A RUNS SECS CRASHES
failed=0
total_runs=0
total_secs=0

for t in "${targets[@]}"; do
    work="$FUZZ_DIR/work/$t"
    artifacts="$FUZZ_DIR/artifacts/$t"
    log="$FUZZ_DIR/work/$t.log"
    mkdir -p "$work" "$artifacts"
    # Seed (or re-seed) the working corpus; inputs found earlier are kept.
    cp -n "$FUZZ_DIR/corpus/$t/"* "$work/" 2>/dev/null || true
    before="$(ls "$artifacts" | grep -E '^(crash|leak|timeout|oom)-' | sort)"

    echo "== fuzz-$t for ${SECONDS_PER_TARGET}s (log: fuzz/work/$t.log)"
    start=$(date +%s)
    SWIFT_BACKTRACE=enable=no "$FUZZ_DIR/bin/fuzz-$t" "$work" \
        -max_total_time="$SECONDS_PER_TARGET" \
        -use_value_profile=1 \
        -dict="$FUZZ_DIR/civitas.dict" \
        -rss_limit_mb=2048 \
        -max_len=65536 \
        -timeout=25 \
        -artifact_prefix="$artifacts/" \
        -print_final_stats=1 \
        >"$log" 2>&1
    rc=$?
    elapsed=$(( $(date +%s) - start ))

    # "Done N runs in S second(s)" is libFuzzer's last line when the time budget ran out.
    done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)"
    if [ -n "$done_line" ]; then
        echo "   $done_line"
        runs="$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/' <<<"$done_line")"
        secs="$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/' <<<"$done_line")"
    else
        # Stopped early (a crash): libFuzzer's final stats, or its last status line.
        runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)"
        [ -n "$runs" ] || runs="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
        runs="${runs:-0}"
        secs="$elapsed"
    fi

    after="$(ls "$artifacts" | grep -E '^(crash|leak|timeout|oom)-' | sort)"
    new_artifacts="$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')"
    crashes="$(printf '%s' "$new_artifacts" | grep -c . || true)"
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1   # libFuzzer failed without writing an artifact (e.g. the binary did not start)
    fi
    if [ "$crashes" -gt 0 ]; then
        failed=1
        echo "   CRASH (libFuzzer exit code $rc):"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*fuzz invariant violated|==[0-9]+== ERROR: libFuzzer)' "$log" | head -5 | sed 's/^/     /'
        for a in $new_artifacts; do echo "     artifact: fuzz/artifacts/$t/$a  (reproduce: fuzz/bin/fuzz-$t fuzz/artifacts/$t/$a)"; done
    else
        echo "   no crash"
    fi
    RUNS[$t]=$runs; SECS[$t]=$secs; CRASHES[$t]=$crashes
    total_runs=$(( total_runs + runs ))
    total_secs=$(( total_secs + secs ))
done

echo
echo "== summary (${SECONDS_PER_TARGET}s per target)"
printf '%-20s %14s %9s %8s\n' target runs seconds crashes
total_crashes=0
for t in "${targets[@]}"; do
    printf '%-20s %14s %9s %8s\n' "$t" "${RUNS[$t]}" "${SECS[$t]}" "${CRASHES[$t]}"
    total_crashes=$(( total_crashes + CRASHES[$t] ))
done
printf '%-20s %14s %9s %8s\n' total "$total_runs" "$total_secs" "$total_crashes"
exit "$failed"
