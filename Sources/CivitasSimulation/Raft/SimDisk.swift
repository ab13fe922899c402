import CivitasRaft

/// A replica's disk with honest semantics: writes land in a volatile buffer
/// and become durable only at `sync()`. A crash keeps a random prefix of the
/// unsynced writes (possibly tearing the last batch of entries) and loses the
/// rest, as a write-ahead log with per-record checksums would recover.
struct SimDisk: Sendable {
    /// One write, in the order the shell issued it.
    enum Write: Sendable {
        case hardState(HardState)
        case entries([Entry])
        case snapshot(Snapshot)
        /// The application's durable state (applied index and chain hash) — written
        /// atomically with the apply, like the state database's applied height.
        case applied(index: UInt64, chain: UInt64)
    }

    /// What survives a crash.
    struct Durable: Sendable {
        var hardState = HardState()
        var snapshot: Snapshot? = nil
        var entries: [Entry] = []
        var appliedIndex: UInt64 = 0
        var appliedChain: UInt64 = 0

        mutating func apply(_ w: Write) {
            switch w {
            case let .hardState(hs):
                hardState = hs
            case let .entries(new):
                guard let first = new.first else { return }
                let base = snapshot?.index ?? 0
                // Overwrite from the first new index (the persistence contract).
                if first.index <= base { return }
                let keep = Int(first.index - base - 1)
                if keep < entries.count { entries.removeLast(entries.count - keep) }
                precondition(entries.count == keep, "entries written with a gap: have \(base + UInt64(entries.count)), got \(first.index)")
                entries.append(contentsOf: new)
            case let .snapshot(s):
                let base = snapshot?.index ?? 0
                guard s.index > base else { return }
                if s.index - base <= UInt64(entries.count), entries[Int(s.index - base - 1)].term == s.term {
                    entries.removeFirst(Int(s.index - base))
                } else {
                    entries = []
                }
                snapshot = s
            case let .applied(index, chain):
                appliedIndex = index
                appliedChain = chain
            }
        }
    }

    private(set) var durable = Durable()
    private var pending: [Write] = []
    /// Writes and syncs issued (for reports).
    private(set) var writes = 0, syncs = 0

    mutating func write(_ w: Write) {
        writes += 1
        pending.append(w)
    }

    /// Makes every pending write durable.
    mutating func sync() {
        syncs += 1
        for w in pending { durable.apply(w) }
        pending.removeAll()
    }

    /// The machine lost power: a random prefix of the pending writes survives,
    /// and the last surviving batch of entries may be torn.
    mutating func crash(random: inout SimRandom) {
        let keep = Int(random.below(UInt64(pending.count + 1)))
        for (i, w) in pending.prefix(keep).enumerated() {
            if i == keep - 1, case let .entries(es) = w, es.count > 1, random.chance(0.5) {
                durable.apply(.entries(Array(es.prefix(1 + Int(random.below(UInt64(es.count - 1)))))))
            } else {
                durable.apply(w)
            }
        }
        pending.removeAll()
    }
}
