import CivitasRaft

// The replicated state machine of the campaign: each replica folds the entries
// it applies into a chain hash, so two replicas that applied different entries
// at an index disagree on the hash there (state-machine safety).

/// An entry's payload in 64 bits (FNV-1a of data; fixed tags for no-ops and configuration changes).
func fingerprint(_ p: EntryPayload) -> UInt64 {
    switch p {
    case .noop: return 0x6e6f_6f70
    case let .data(d):
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in d { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    case let .config(c):
        switch c {
        case let .addVoter(id): return 0xA000_0000 ^ id
        case let .addLearner(id): return 0xB000_0000 ^ id
        case let .remove(id): return 0xC000_0000 ^ id
        }
    }
}

/// The chain hash after applying the entry of `term` at `index` whose fingerprint is `fp`.
func mix(_ chain: UInt64, _ term: UInt64, _ index: UInt64, _ fp: UInt64) -> UInt64 {
    var h = chain ^ 0x9E37_79B9_7F4A_7C15
    for v in [term, index, fp] {
        h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
    }
    return h
}

/// A chain hash as a snapshot's data (8 bytes, little-endian), and back.
func encodeChain(_ c: UInt64) -> [UInt8] { withUnsafeBytes(of: c.littleEndian, Array.init) }

func decodeChain(_ d: [UInt8]) -> UInt64 {
    guard d.count == 8 else { return 0 }
    return d.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
}
