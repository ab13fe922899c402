import CivitasRaft
import CivitasSimulation
import CivitasStorage
import Testing

/// The WAL on the simulator's hostile disk: power loss at any point, torn
/// writes, lost directory entries and read errors. After every crash the
/// recovered state must be exactly what the last returned `sync` covered, or
/// that plus the one batch that was in flight — never anything else.
@Suite struct SimulatedStorageTests {
    /// An independent model of Raft's durable state (not RaftWAL's replay code).
    struct Model: Equatable {
        var hardState = HardState()
        var snapshot: Snapshot? = nil
        var entries: [Entry] = []

        var lastIndex: UInt64 { entries.last?.index ?? snapshot?.index ?? 0 }

        mutating func append(_ new: [Entry]) {
            guard let first = new.first else { return }
            entries.removeAll { $0.index >= first.index }
            entries += new
        }

        mutating func compact(_ s: Snapshot) {
            entries.removeAll { $0.index <= s.index }
            snapshot = s
        }

        func matches(_ d: RaftDurableState) -> Bool {
            d.hardState == hardState && d.snapshot == snapshot && d.entries == entries
        }
    }

    static let walDirectory = "/data/wal"

    static func reopen(_ fs: SimFileSystem, random: inout SimRandom, readErrors: inout Int, preallocate: Bool) throws(StorageError) -> RaftWAL {
        fs.readErrorRate = 0.1
        defer { fs.readErrorRate = 0 }
        while true {
            do {
                return try RaftWAL(directory: walDirectory, fileSystem: fs, options: WALOptions(segmentSize: 2048, preallocate: preallocate))
            } catch {
                guard case .io(_, _, 5) = error else { throw error }
                readErrors += 1 // an injected EIO: nothing was changed, try again
                fs.readErrorRate /= 2 // a flaky disk, not a dead one
            }
        }
    }

    @Test func raftWALSurvivesPowerLossAtEveryKindOfMoment() throws {
        var totals = (crashes: 0, torn: 0, readErrors: 0, removed: 0, inFlightKept: 0, inFlightLost: 0)
        for seed in UInt64(1)...60 {
            let fs = SimFileSystem(seed: seed)
            var random = SimRandom(seed: seed &* 7919)
            try fs.createDirectory("/data")
            var wal = try Self.reopen(fs, random: &random, readErrors: &totals.readErrors, preallocate: seed % 2 == 0)
            var model = Model()
            var acknowledged = Model()
            var inFlight: Model? = nil
            var term: UInt64 = 1
            for step in 0..<300 {
                switch random.below(100) {
                case 0..<45:
                    // Append a few entries, sometimes overwriting the tail as a new leader would.
                    var from = model.lastIndex + 1
                    if random.chance(0.15), let first = model.entries.first, model.lastIndex > first.index {
                        from = first.index + random.below(model.lastIndex - first.index) + 1
                        term += 1
                    }
                    let entries = (0..<(1 + random.below(6))).map { k in
                        Entry(term: term, index: from + k, payload: .data((0..<(1 + random.below(90))).map { _ in UInt8(truncatingIfNeeded: random.next()) }))
                    }
                    let hs = HardState(term: term, vote: random.chance(0.5) ? 1 : nil, commit: max(model.hardState.commit, from - 1))
                    try wal.append(entries: entries, hardState: hs)
                    model.append(entries)
                    model.hardState = hs
                case 45..<52:
                    if let e = model.entries.dropLast().randomElement(using: &random) {
                        let s = Snapshot(index: e.index, term: e.term, configuration: Configuration(voters: [1, 2, 3]), data: [UInt8(step & 0xFF)])
                        try wal.append(snapshot: s)
                        model.compact(s)
                    }
                case 52..<70:
                    if wal.log.pendingCount > 0 {
                        // A second flush first syncs the batch still in flight.
                        if let f = inFlight { acknowledged = f }
                        try wal.log.flush()
                        inFlight = model
                    }
                case 70..<92:
                    try wal.sync()
                    acknowledged = model
                    inFlight = nil
                default:
                    totals.removed += wal.log.segmentsRemoved
                    fs.crash()
                    totals.crashes += 1
                    do {
                        wal = try Self.reopen(fs, random: &random, readErrors: &totals.readErrors, preallocate: seed % 2 == 0)
                    } catch {
                        var layout: [String] = []
                        for name in (try? fs.list(Self.walDirectory)) ?? [] {
                            let b = fs.contents(Self.walDirectory + "/" + name) ?? []
                            var marks: [String] = []
                            for o in stride(from: 0, to: b.count, by: 512) {
                                let z = b[o..<min(b.count, o + 512)].allSatisfy { $0 == 0 }
                                marks.append(z ? "0" : (Array(b[o..<min(b.count, o + 4)]) == Array("CVWB".utf8) ? "H" : "d"))
                            }
                            layout.append("\(name) \(b.count): \(marks.joined())")
                        }
                        Issue.record("seed \(seed) step \(step): \(error)\n\(layout.joined(separator: "\n"))")
                        return
                    }
                    let back = wal.recovered
                    if wal.log.report.truncatedTail != nil { totals.torn += 1 }
                    if acknowledged.matches(back) {
                        if inFlight != nil && inFlight != acknowledged { totals.inFlightLost += 1 }
                    } else if let f = inFlight, f.matches(back) {
                        totals.inFlightKept += 1
                    } else {
                        Issue.record("seed \(seed) step \(step): recovered \(back.lastIndex) entries up to term \(back.hardState.term), acknowledged \(acknowledged.lastIndex)")
                        return
                    }
                    model = Model(hardState: back.hardState, snapshot: back.snapshot, entries: back.entries)
                    acknowledged = model
                    inFlight = nil
                }
            }
        }
        // The run really exercised what it claims to.
        #expect(totals.crashes > 300, "crashes: \(totals.crashes)")
        #expect(totals.torn > 5, "torn tails: \(totals.torn)")
        #expect(totals.readErrors > 20, "read errors: \(totals.readErrors)")
        #expect(totals.removed > 20, "segments removed: \(totals.removed)")
        #expect(totals.inFlightKept > 5 && totals.inFlightLost > 5, "in flight kept \(totals.inFlightKept), lost \(totals.inFlightLost)")
    }

    @Test func aFlippedByteOnTheSimulatedDiskStopsRecovery() throws {
        let fs = SimFileSystem(seed: 9)
        try fs.createDirectory("/data")
        let wal = try RaftWAL(directory: Self.walDirectory, fileSystem: fs)
        try wal.append(entries: [Entry(term: 1, index: 1, payload: .data([1, 2, 3]))], hardState: HardState(term: 1, vote: 1, commit: 0))
        try wal.sync()
        try wal.append(entries: [Entry(term: 1, index: 2, payload: .data([4, 5, 6]))])
        try wal.sync()
        let segment = Self.walDirectory + "/0000000000000001.wal"
        fs.corrupt(segment, at: 512 + 40, xor: 0x10)
        #expect(throws: StorageError.self) { _ = try RaftWAL(directory: Self.walDirectory, fileSystem: fs) }
    }
}
