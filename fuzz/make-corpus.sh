#!/usr/bin/env bash
# Regenerates the committed seed corpus fuzz/corpus/<target>/ from
# fuzz/corpus-gen/main.swift (realistic values with deterministic keys) and
# the hex vectors of docs/codec.md.
#
# The generator links against a normal (uninstrumented) debug build of
# CivitasLedger in its own scratch directory .build-corpus.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

SCRATCH=.build-corpus
SWIFT="${SWIFT:-swift}"
SWIFTC="${SWIFTC:-swiftc}"

echo "== building CivitasLedger, CivitasRaft and CivitasGossip into $SCRATCH"
"$SWIFT" build --target CivitasLedger --scratch-path "$SCRATCH"
"$SWIFT" build --target CivitasRaft --scratch-path "$SCRATCH"
"$SWIFT" build --target CivitasGossip --scratch-path "$SCRATCH"
BIN="$("$SWIFT" build --target CivitasLedger --scratch-path "$SCRATCH" --show-bin-path)/"
mapfile -t OBJECTS < <(module_objects "$BIN")

echo "== compiling fuzz/corpus-gen"
"$SWIFTC" -module-name CorpusGen -use-ld=lld -I "${BIN}Modules" -I "$REPO_ROOT/Sources/CZstd" \
    "$FUZZ_DIR/corpus-gen/main.swift" "${OBJECTS[@]}" -lstdc++ -o "$SCRATCH/corpus-gen"

echo "== writing fuzz/corpus"
rm -rf "$FUZZ_DIR/corpus.tmp"
"$SCRATCH/corpus-gen" "$REPO_ROOT/docs/codec.md" "$FUZZ_DIR/corpus.tmp"
# Hand-written seeds (the Raft messages) are kept as they are.
for t in raft-message; do
    [ -d "$FUZZ_DIR/corpus/$t" ] && cp -r "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/corpus.tmp/$t"
done
for t in "${TARGETS[@]}"; do
    [ -n "$(ls -A "$FUZZ_DIR/corpus.tmp/$t" 2>/dev/null)" ] || { echo "no seeds for $t" >&2; exit 1; }
done
rm -rf "$FUZZ_DIR/corpus"
mv "$FUZZ_DIR/corpus.tmp" "$FUZZ_DIR/corpus"
du -sh "$FUZZ_DIR/corpus"
