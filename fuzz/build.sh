#!/usr/bin/env bash
# Builds one libFuzzer + AddressSanitizer binary per decoder into fuzz/bin/.
#
# 1. The CivitasLedger target and its dependencies (CivitasCodec, CZstd,
#    swift-crypto) are built with fuzzer coverage and ASan into the scratch
#    directory .build-fuzz at the repository root. Only --target builds go
#    there, never an executable or a test product (a second main() would
#    break the link below).
# 2. fuzz/harness.swift is compiled and linked against those objects once per
#    target, with -D FUZZ_<NAME> selecting the decoder.
#
# Usage: fuzz/build.sh [target ...]   (default: every target in fuzz/common.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

SCRATCH=.build-fuzz
SWIFT="${SWIFT:-swift}"
SWIFTC="${SWIFTC:-swiftc}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${TARGETS[@]}")

echo "== building CivitasLedger with -sanitize=fuzzer,address into $SCRATCH"
"$SWIFT" build -c release --target CivitasLedger --scratch-path "$SCRATCH" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
echo "== building CivitasRaft with -sanitize=fuzzer,address into $SCRATCH"
"$SWIFT" build -c release --target CivitasRaft --scratch-path "$SCRATCH" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
echo "== building CivitasGossip with -sanitize=fuzzer,address into $SCRATCH"
"$SWIFT" build -c release --target CivitasGossip --scratch-path "$SCRATCH" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
BIN="$("$SWIFT" build -c release --target CivitasLedger --scratch-path "$SCRATCH" --show-bin-path)/"

mapfile -t OBJECTS < <(module_objects "$BIN")
[ ${#OBJECTS[@]} -gt 0 ] || { echo "no object files under $BIN" >&2; exit 1; }

mkdir -p "$FUZZ_DIR/bin"
for t in "${targets[@]}"; do
    out="$FUZZ_DIR/bin/fuzz-$t"
    echo "== linking $out (-D $(fuzz_define "$t"))"
    "$SWIFTC" -O -sanitize=fuzzer,address -parse-as-library -use-ld=lld \
        -module-name FuzzHarness \
        -D "$(fuzz_define "$t")" \
        -I "${BIN}Modules" -I "$REPO_ROOT/Sources/CZstd" \
        "$FUZZ_DIR/harness.swift" "${OBJECTS[@]}" \
        -o "$out.tmp"
    mv "$out.tmp" "$out"
done
echo "== built: ${targets[*]/#/fuzz/bin/fuzz-}"
