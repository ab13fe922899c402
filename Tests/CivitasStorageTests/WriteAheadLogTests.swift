import CivitasCodec
import CivitasRaft
import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// The write-ahead log on the real disk: replay, segment rolls, torn tails,
/// and a flipped byte or a cut at every position of every file.
@Suite struct WriteAheadLogTests {
    static let fs = POSIXFileSystem()

    /// Payloads with no zero bytes, so no sector of test data is ever blank.
    static func payloads(_ count: Int, seed: UInt64, maxSize: Int = 300) -> [WALRecord] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let bytes = random.bytes(random.int(1...maxSize)).map { $0 | 1 }
            return WALRecord(type: UInt8(1 + i % 3), payload: bytes)
        }
    }

    static func write(_ records: [WALRecord], to dir: String, options: WALOptions, batch: Int) throws {
        let log = try WriteAheadLog(directory: dir, fileSystem: fs, options: options) { _ in }
        for (i, r) in records.enumerated() {
            try log.append(r)
            if (i + 1) % batch == 0 {
                try log.sync()
                if log.needsRoll { try log.roll(head: []) }
            }
        }
        try log.sync()
        log.close()
    }

    static func contents(_ path: String) throws -> [UInt8] {
        let file = try fs.open(path, create: false)
        defer { file.close() }
        return try file.readAll()
    }

    /// Replaces a file's bytes in place (no fsync: these tests never crash the machine).
    static func overwrite(_ path: String, _ bytes: [UInt8]) throws {
        let file = try fs.open(path, create: true)
        defer { file.close() }
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
    }

    static func read(_ dir: String, options: WALOptions) throws(StorageError) -> (records: [WALRecord], report: WALRecoveryReport) {
        var out: [WALRecord] = []
        let log = try WriteAheadLog(directory: dir, fileSystem: fs, options: options) { r in out.append(r) }
        defer { log.close() }
        return (out, log.report)
    }

    @Test func replaysEveryRecordAcrossSegmentRolls() throws {
        let scratch = try ScratchDirectory("wal-replay")
        let dir = scratch.sub("wal")
        let options = WALOptions(segmentSize: 4096)
        let records = Self.payloads(500, seed: 1)
        try Self.write(records, to: dir, options: options, batch: 7)
        let (back, report) = try Self.read(dir, options: options)
        #expect(back.count == records.count && back == records)
        #expect(report.segments > 5)
        #expect(report.truncatedTail == nil)

        // Appending after reopening continues the same log.
        let more = Self.payloads(50, seed: 2)
        try Self.write(more, to: dir, options: options, batch: 5)
        #expect(try Self.read(dir, options: options).records == records + more)
    }

    @Test func unsyncedRecordsAreNotReplayed() throws {
        let scratch = try ScratchDirectory("wal-unsynced")
        let dir = scratch.sub("wal")
        let log = try WriteAheadLog(directory: dir, fileSystem: Self.fs) { _ in }
        let records = Self.payloads(3, seed: 3)
        try log.append(records[0])
        try log.sync()
        try log.append(records[1])
        try log.append(records[2])
        log.close() // the process dies before sync: appends were only in memory
        #expect(try Self.read(dir, options: WALOptions()).records == [records[0]])
    }

    /// A cut at every byte of the final batch is a torn tail: cut off,
    /// reported, and every earlier (acknowledged) record kept.
    @Test func tornFinalBatchIsCutOffAndReported() throws {
        let scratch = try ScratchDirectory("wal-torn")
        let dir = scratch.sub("wal")
        let first = Self.payloads(20, seed: 4)
        try Self.write(first, to: dir, options: WALOptions(), batch: 20)
        let segment = (dir as NSString).appendingPathComponent("0000000000000001.wal")
        let acknowledged = try Self.contents(segment)
        let last = Self.payloads(12, seed: 5, maxSize: 200)
        try Self.write(last, to: dir, options: WALOptions(), batch: 12)
        let full = try Self.contents(segment)
        #expect(full.count > acknowledged.count)
        var sawWholeBatch = false
        for cut in stride(from: acknowledged.count + 1, to: full.count, by: 7) {
            try Self.overwrite(segment, Array(full[..<cut]))
            let (back, report) = try Self.read(dir, options: WALOptions())
            if back.count == first.count + last.count {
                // Cut inside the final batch's zero padding: every record is whole.
                #expect(back == first + last, "cut at \(cut)")
                #expect(try Self.contents(segment).count == full.count, "padding restored")
                sawWholeBatch = true
            } else {
                #expect(!sawWholeBatch, "cut at \(cut) lost records a shorter cut kept")
                #expect(back.count == first.count && back == first, "cut at \(cut)")
                #expect(report.truncatedTail?.offset == acknowledged.count, "cut at \(cut)")
                #expect(try Self.contents(segment).count == acknowledged.count)
            }
        }
        // Zeroed sectors in the final batch (a crash that extended the file but
        // did not land every sector) are a torn tail too.
        var zeroed = full
        for i in (acknowledged.count + 512)..<min(full.count, acknowledged.count + 1024) { zeroed[i] = 0 }
        try Self.overwrite(segment, zeroed)
        #expect(try Self.read(dir, options: WALOptions()).records.count == first.count)
    }

    /// Every single flipped byte, in every file, in every position, is
    /// refused with the file and an offset — never replayed, never cut off
    /// as if it were a torn tail.
    @Test func everyFlippedByteIsDetected() throws {
        let scratch = try ScratchDirectory("wal-flip")
        let dir = scratch.sub("wal")
        let options = WALOptions(segmentSize: 600)
        let records = Self.payloads(8, seed: 6, maxSize: 60)
        try Self.write(records, to: dir, options: options, batch: 3)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names.count >= 3)
        for name in names {
            let path = (dir as NSString).appendingPathComponent(name)
            let original = try Self.contents(path)
            for offset in original.indices {
                var flipped = original
                flipped[offset] ^= 0x5A
                try Self.overwrite(path, flipped)
                do {
                    let (back, _) = try Self.read(dir, options: options)
                    Issue.record("\(name) byte \(offset) flipped, but the log opened with \(back.count) records")
                } catch {
                    switch error {
                    case let .corrupt(p, _, _): #expect(p == path)
                    case let .inconsistent(p, _): #expect(p == path)
                    default: Issue.record("\(name) byte \(offset): unexpected \(error)")
                    }
                }
                try Self.overwrite(path, original)
            }
        }
        #expect(try Self.read(dir, options: options).records == records)
    }

    @Test func truncationInsideAnAcknowledgedSegmentIsCorruption() throws {
        let scratch = try ScratchDirectory("wal-cut-middle")
        let dir = scratch.sub("wal")
        let options = WALOptions(segmentSize: 2048)
        try Self.write(Self.payloads(40, seed: 7), to: dir, options: options, batch: 4)
        let first = (dir as NSString).appendingPathComponent("0000000000000001.wal")
        let bytes = try Self.contents(first)
        for cut in stride(from: 0, to: bytes.count, by: 97) {
            try Self.overwrite(first, Array(bytes[..<cut]))
            let error = storageFailure { _ = try Self.read(dir, options: options) }
            #expect(error != nil, "segment 1 cut at \(cut) was accepted")
        }
        try Self.overwrite(first, bytes)
        // A missing segment in the middle is refused by name.
        let second = (dir as NSString).appendingPathComponent("0000000000000002.wal")
        try FileManager.default.removeItem(atPath: second)
        let error = storageFailure { _ = try Self.read(dir, options: options) }
        #expect("\(String(describing: error))".contains("0000000000000002.wal is missing"))
    }

    /// Preallocated segments: zeros after the last batch are free space, not
    /// a torn tail; a torn batch inside them is still cut off and reported.
    @Test func preallocatedSegmentsRecoverAndReportOnlyRealTails() throws {
        let scratch = try ScratchDirectory("wal-prealloc")
        let dir = scratch.sub("wal")
        let options = WALOptions(segmentSize: 16 << 10, preallocate: true)
        let records = Self.payloads(40, seed: 11)
        try Self.write(records, to: dir, options: options, batch: 4)
        let segment = (dir as NSString).appendingPathComponent("0000000000000001.wal")
        #expect(try Self.contents(segment).count == 16 << 10)
        var (back, report) = try Self.read(dir, options: options)
        #expect(back.count == records.count && back == records)
        #expect(report.truncatedTail == nil)

        let more = Self.payloads(300, seed: 12)
        try Self.write(more, to: dir, options: options, batch: 30)
        // One small batch more, so the last segment (perhaps just rolled) ends with a batch.
        let extra = Self.payloads(3, seed: 14)
        try Self.write(extra, to: dir, options: options, batch: 3)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names.count > 2, "segments roll")
        let last = (dir as NSString).appendingPathComponent(names.last!)
        let bytes = try Self.contents(last)
        // Tear the final batch: zero its second half, as a crash that landed some sectors would.
        let dataEnd = (bytes.lastIndex { $0 != 0 } ?? 0) + 1
        var torn = bytes
        let lastBatchStart = Array(stride(from: 512, to: dataEnd, by: 512)).last { Array(torn[$0..<($0 + 4)]) == Array("CVWB".utf8) } ?? 512
        // Sectors after the batch's first never landed (or, for a one-sector batch, none did).
        let zeroFrom = lastBatchStart + 512 < dataEnd ? lastBatchStart + 512 : lastBatchStart
        for i in zeroFrom..<dataEnd { torn[i] = 0 }
        try Self.overwrite(last, torn)
        (back, report) = try Self.read(dir, options: options)
        #expect(torn != bytes)
        do {
            #expect(report.truncatedTail?.offset == lastBatchStart)
            #expect(back.count < records.count + more.count + extra.count)
            #expect(Array(back) == Array((records + more + extra).prefix(back.count)))
        }
        // The log carries on after recovery.
        try Self.write(Self.payloads(5, seed: 13), to: dir, options: options, batch: 5)
        #expect(try Self.read(dir, options: options).records.count == back.count + 5)
    }

    @Test func oversizedRecordsAreRefusedBeforeWriting() throws {
        let scratch = try ScratchDirectory("wal-oversize")
        let log = try WriteAheadLog(directory: scratch.sub("wal"), fileSystem: Self.fs, options: WALOptions(maxRecordSize: 100)) { _ in }
        #expect(throws: StorageError.self) { try log.append(type: 1, payload: [UInt8](repeating: 1, count: 101)) }
        try log.append(type: 1, payload: [UInt8](repeating: 1, count: 100))
        try log.sync()
    }

    @Test func segmentsAreRemovedOnlyBeforeTheCurrentOne() throws {
        let scratch = try ScratchDirectory("wal-remove")
        let dir = scratch.sub("wal")
        let log = try WriteAheadLog(directory: dir, fileSystem: Self.fs, options: WALOptions(segmentSize: 1024)) { _ in }
        for r in Self.payloads(30, seed: 8) {
            try log.append(r)
            try log.sync()
            if log.needsRoll { try log.roll(head: [WALRecord(type: 9, payload: [9])]) }
        }
        let before = log.segments
        #expect(before.count > 3)
        try log.removeSegments(before: UInt64.max)
        #expect(log.segments == [before.last!])
        log.close()
        let (back, _) = try Self.read(dir, options: WALOptions(segmentSize: 1024))
        #expect(back.first == WALRecord(type: 9, payload: [9]))
    }
}

/// Raft's persistence on the WAL: the recovered state is exactly what was
/// synced, through overwrites, snapshots and segment removal.
@Suite struct RaftWALTests {
    static func entry(_ index: UInt64, term: UInt64, seed: UInt64 = 0) -> Entry {
        Entry(term: term, index: index, payload: .data(Array("e\(index)t\(term)s\(seed)".utf8)))
    }

    @Test func recoversHardStateEntriesAndSnapshot() throws {
        let scratch = try ScratchDirectory("raftwal")
        let dir = scratch.sub("wal")
        let options = WALOptions(segmentSize: 2048)
        var expected = RaftDurableState()
        do {
            let wal = try RaftWAL(directory: dir, fileSystem: POSIXFileSystem(), options: options)
            for i in UInt64(1)...200 {
                let hs = HardState(term: 1 + i / 50, vote: 1, commit: i - 1)
                try wal.append(entries: [Self.entry(i, term: 1 + i / 50)], hardState: hs)
                try wal.sync()
                expected.hardState = hs
            }
            // A new leader overwrites the tail from 181 on.
            let replaced = (UInt64(181)...190).map { Self.entry($0, term: 9, seed: 1) }
            try wal.append(entries: replaced, hardState: HardState(term: 9, vote: 2, commit: 180))
            let snapshot = Snapshot(index: 150, term: 4, configuration: Configuration(voters: [1, 2, 3]), data: [1, 2, 3])
            try wal.append(snapshot: snapshot)
            try wal.sync()
            #expect(wal.log.segmentsRemoved > 0, "segments wholly before the snapshot are removed")
            expected.hardState = HardState(term: 9, vote: 2, commit: 180)
            expected.snapshot = snapshot
            expected.entries = (UInt64(151)...180).map { Self.entry($0, term: 1 + $0 / 50) } + replaced
            wal.close()
        }
        let reopened = try RaftWAL(directory: dir, fileSystem: POSIXFileSystem(), options: options)
        #expect(reopened.recovered == expected)
    }

    @Test func undecodableRecordIsRefused() throws {
        let scratch = try ScratchDirectory("raftwal-bad")
        let dir = scratch.sub("wal")
        let log = try WriteAheadLog(directory: dir, fileSystem: POSIXFileSystem()) { _ in }
        try log.append(type: 1, payload: [0xFF, 0xFF]) // a checksummed record that is not an entry
        try log.sync()
        log.close()
        let error = storageFailure { _ = try RaftWAL(directory: dir, fileSystem: POSIXFileSystem()) }
        #expect("\(String(describing: error))".contains("undecodable WAL record"))
    }
}
