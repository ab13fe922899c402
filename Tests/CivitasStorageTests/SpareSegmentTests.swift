import CivitasCodec
import CivitasSimulation
import CivitasStorage
import CivitasTestSupport
import Testing

/// Rolling into a segment prepared ahead (`WriteAheadLog.prepareSpare`, which
/// the group committer runs in the background): the records are all there,
/// a spare a crash left behind never becomes a segment, a bad spare is
/// discarded, and power loss during the adoption loses nothing acknowledged.
@Suite struct SpareSegmentTests {
    static let options = WALOptions(segmentSize: 4096, preallocate: true)

    static func record(_ n: Int) -> [UInt8] {
        (0..<(50 + n % 300)).map { UInt8(truncatingIfNeeded: n &* 31 &+ $0) }
    }

    static func replayAll(_ dir: String, _ fs: any FileSystem) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        _ = try WriteAheadLog(directory: dir, fileSystem: fs, options: options) { records.append($0.payload) }
        return records
    }

    @Test func rollingIntoPreparedSparesKeepsEveryRecordAndLeavesNoSpareBehind() throws {
        let dir = try ScratchDirectory("wal-spare")
        let fs = POSIXFileSystem()
        let spare = joinPath(dir.path, "spare.tmp")
        let log = try WriteAheadLog(directory: dir.path, fileSystem: fs, options: Self.options) { _ in }
        for n in 0..<200 {
            try log.append(type: 1, payload: Self.record(n))
            try log.sync()
            if log.needsRoll {
                try WriteAheadLog.prepareSpare(at: spare, fileSystem: fs, options: Self.options)
                try log.roll(head: [], spare: spare)
                #expect(!fs.exists(spare), "the spare became the segment")
            }
        }
        #expect(log.segments.count > 5)
        log.close()
        // Every segment is full size: the spares were used as prepared.
        for name in try fs.list(dir.path) where name.hasSuffix(".wal") {
            let file = try fs.open(joinPath(dir.path, name), create: false)
            #expect(try file.size() >= Self.options.segmentSize, "\(name)")
            file.close()
        }
        #expect(try Self.replayAll(dir.path, fs) == (0..<200).map(Self.record))
    }

    @Test func aSpareLeftByACrashIsRemovedWhenTheLogOpens() throws {
        let dir = try ScratchDirectory("wal-spare-left")
        let fs = POSIXFileSystem()
        let log = try WriteAheadLog(directory: dir.path, fileSystem: fs, options: Self.options) { _ in }
        try log.append(type: 1, payload: [1, 2, 3])
        try log.sync()
        log.close()
        let spare = joinPath(dir.path, "spare.tmp")
        try WriteAheadLog.prepareSpare(at: spare, fileSystem: fs, options: Self.options)
        #expect(try Self.replayAll(dir.path, fs) == [[1, 2, 3]])
        #expect(!fs.exists(spare))
    }

    @Test func aSpareOfTheWrongSizeIsDiscardedAndTheSegmentCreatedAsUsual() throws {
        let dir = try ScratchDirectory("wal-spare-short")
        let fs = POSIXFileSystem()
        let spare = joinPath(dir.path, "spare.tmp")
        let log = try WriteAheadLog(directory: dir.path, fileSystem: fs, options: Self.options) { _ in }
        try log.append(type: 1, payload: [7])
        let short = try fs.open(spare, create: true)
        try short.write([UInt8](repeating: 0, count: 100), at: 0)
        short.close()
        try log.roll(head: [WALRecord(type: 2, payload: [8])], spare: spare)
        #expect(!fs.exists(spare))
        #expect(log.segments.count == 2)
        log.close()
        #expect(try Self.replayAll(dir.path, fs) == [[7], [8]])
    }

    /// Found by the test above: a segment rolled before it was full kept its
    /// preallocated zeros, and recovery read them as damage in a segment
    /// that is not the last one.
    @Test func anEarlyRollOfAPreallocatedSegmentStaysReadable() throws {
        let dir = try ScratchDirectory("wal-early-roll")
        let fs = POSIXFileSystem()
        let log = try WriteAheadLog(directory: dir.path, fileSystem: fs, options: Self.options) { _ in }
        try log.append(type: 1, payload: [1])
        try log.roll(head: [WALRecord(type: 2, payload: [2])])
        try log.append(type: 1, payload: [3])
        try log.sync()
        log.close()
        #expect(try Self.replayAll(dir.path, fs) == [[1], [2], [3]])
    }

    @Test func aSpareMustBeATemporaryFileInTheLogsDirectory() throws {
        let dir = try ScratchDirectory("wal-spare-name")
        let fs = POSIXFileSystem()
        #expect(throws: StorageError.self) {
            try WriteAheadLog.prepareSpare(at: joinPath(dir.path, "0000000000000002.wal"), fileSystem: fs, options: Self.options)
        }
        let elsewhere = try ScratchDirectory("wal-spare-elsewhere")
        let outside = joinPath(elsewhere.path, "spare.tmp")
        try WriteAheadLog.prepareSpare(at: outside, fileSystem: fs, options: Self.options)
        let log = try WriteAheadLog(directory: dir.path, fileSystem: fs, options: Self.options) { _ in }
        #expect(throws: StorageError.self) { try log.roll(head: [], spare: outside) }
    }

    /// Power fails at random moments while records are synced and segments
    /// adopted from spares (on the simulator's disk: unsynced writes lost or
    /// torn, directory entries forgotten). Every reopen holds exactly the
    /// acknowledged records, or those plus the one batch in flight.
    @Test func powerLossWhileAdoptingSparesLosesNothingAcknowledged() throws {
        var crashes = 0, adopted = 0
        for seed in UInt64(1)...25 {
            let fs = SimFileSystem(seed: seed)
            var random = SimRandom(seed: seed &* 104_729)
            let dir = "/data/wal"
            try fs.createDirectory("/data")
            let spare = joinPath(dir, "spare.tmp")
            var log = try WriteAheadLog(directory: dir, fileSystem: fs, options: Self.options) { _ in }
            var acknowledged: [[UInt8]] = []
            var inFlight: [[UInt8]] = []
            var next = 0
            while next < 400 {
                if fs.powerFailsAfter == nil, random.below(10) == 0 { fs.powerFailsAfter = 1 + Int(random.below(6)) }
                do {
                    let payload = Self.record(next)
                    next += 1
                    try log.append(type: 1, payload: payload)
                    inFlight.append(payload)
                    try log.sync()
                    acknowledged += inFlight
                    inFlight = []
                    if log.needsRoll {
                        if random.below(4) != 0 {
                            try WriteAheadLog.prepareSpare(at: spare, fileSystem: fs, options: Self.options)
                            adopted += 1
                        }
                        try log.roll(head: [], spare: fs.exists(spare) ? spare : nil)
                    }
                    if random.below(25) != 0 { continue }
                } catch {
                    guard fs.poweredOff else { throw error }
                }
                fs.crash()
                crashes += 1
                let recovered = try Self.replayAll(dir, fs)
                #expect(recovered == acknowledged || recovered == acknowledged + inFlight,
                        "seed \(seed): \(recovered.count) records recovered, \(acknowledged.count) acknowledged")
                acknowledged = recovered
                inFlight = []
                #expect(!fs.exists(spare), "seed \(seed): opening removes a spare")
                log = try WriteAheadLog(directory: dir, fileSystem: fs, options: Self.options) { _ in }
            }
        }
        #expect(crashes > 100, "crashes: \(crashes)")
        #expect(adopted > 100, "spares adopted: \(adopted)")
    }
}
