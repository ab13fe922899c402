# Shared by fuzz/build.sh, fuzz/run.sh and fuzz/make-corpus.sh (sourced, not run).
# shellcheck shell=bash

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$FUZZ_DIR/.." && pwd)"

# One libFuzzer binary per decoder: fuzz/bin/fuzz-<name>, built from
# fuzz/harness.swift with -D FUZZ_<NAME> (upper case, '-' -> '_').
TARGETS=(
    transaction
    block-header
    block
    sealed-block
    commit-certificate
    checkpoint
    peer-record
    genesis
    federation-document
    inclusion-proof
    raft-message
    gossip-message
    address-book
)

# Build products the harnesses link. Only these *.build directories are
# searched for object files, so a stray main() (an executable or test target
# built into the same scratch directory by someone else) is never linked in.
LINK_MODULES=(CivitasTime CivitasCodec CivitasLedger CivitasRaft CivitasGossip Crypto CryptoBoringWrapper CCryptoBoringSSL CCryptoBoringSSLShims)

# "-D FUZZ_SEALED_BLOCK" for "sealed-block".
fuzz_define() {
    local upper
    upper="$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"
    printf 'FUZZ_%s' "$upper"
}

# Object files of LINK_MODULES under the bin directory $1 (which ends in '/').
module_objects() {
    local bin="$1" m
    for m in "${LINK_MODULES[@]}"; do
        if [ ! -d "$bin$m.build" ]; then
            echo "missing $bin$m.build" >&2
            return 1
        fi
        find "$bin$m.build/" -name '*.o'
    done
}
