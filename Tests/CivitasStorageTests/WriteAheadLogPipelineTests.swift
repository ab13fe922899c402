import CivitasSimulation
import CivitasStorage
import CivitasTestSupport
import Testing

/// Batches in flight (`WriteAheadLog.writeBatch`, what `GroupCommitLog`
/// does with `batchesInFlight` > 1): a later batch is written, and may
/// reach the disk, while the one before it is still being fsynced. After a
/// power loss, recovery must keep every acknowledged record, drop whole
/// unacknowledged batches only, and still refuse damage to anything an fsync
/// had made durable (docs/storage.md, "Recovery").
@Suite struct WriteAheadLogPipelineTests {
    static func record(_ n: Int, _ random: inout SimRandom) -> [UInt8] {
        // No zero bytes: no sector of record data is ever blank by chance.
        (0..<(20 + Int(random.below(400)))).map { UInt8(truncatingIfNeeded: n &* 31 &+ $0) | 1 }
    }

    static func replay(_ dir: String, _ fs: any FileSystem, _ options: WALOptions) throws(StorageError) -> (records: [[UInt8]], report: WALRecoveryReport) {
        var records: [[UInt8]] = []
        let log = try WriteAheadLog(directory: dir, fileSystem: fs, options: options) { records.append($0.payload) }
        log.close()
        return (records, log.report)
    }

    /// Power loss with up to `depth` batches in flight, on a disk that lands
    /// any subset of the unsynced sectors of any unsynced write — the later
    /// batch without the earlier one, the earlier without the later, parts of
    /// both. Every reopen must hold the acknowledged records followed by
    /// whole in-flight batches (a prefix of them), and must never refuse.
    @Test(arguments: [(2, false), (2, true), (3, true)])
    func powerLossWithBatchesInFlightLosesNothingAcknowledged(depth: Int, preallocate: Bool) throws {
        let options = WALOptions(segmentSize: 16 << 10, preallocate: preallocate)
        var totals = (crashes: 0, inFlightAtCrash: 0, earlierLostLaterLanded: 0, keptSome: 0, torn: 0)
        for seed in UInt64(1)...40 {
            let disk = ReorderingDisk(seed: seed)
            var random = SimRandom(seed: seed &* 6_364_136_223_846_793_005)
            let dir = "/wal"
            var log = try WriteAheadLog(directory: dir, fileSystem: disk, options: options) { _ in }
            var handle = try log.openSegmentHandle()
            var acknowledged: [[UInt8]] = []
            var inFlight: [(batch: WALWrittenBatch, records: [[UInt8]])] = []
            var n = 0
            for _ in 0..<400 {
                switch random.below(10) {
                case 0..<5 where inFlight.count < depth:
                    // Roll only with nothing in flight, as the group committer does.
                    if log.needsRoll {
                        if !inFlight.isEmpty { break }
                        try log.roll(head: [])
                        handle = try log.openSegmentHandle()
                    }
                    var records: [[UInt8]] = []
                    for _ in 0..<(1 + random.below(12)) {
                        records.append(Self.record(n, &random))
                        n += 1
                        try log.append(type: 1, payload: records.last!)
                    }
                    let batch = try #require(try log.writeBatch())
                    inFlight.append((batch, records))
                case 0..<8:
                    // The oldest batch's fsync returns; acknowledge it (in log order).
                    guard let first = inFlight.first else { break }
                    try WriteAheadLog.makeDurable(first.batch, through: handle)
                    log.batchIsDurable(first.batch)
                    acknowledged += first.records
                    inFlight.removeFirst()
                default:
                    totals.crashes += 1
                    if inFlight.count >= 2 { totals.inFlightAtCrash += 1 }
                    let landed = disk.crash()
                    if inFlight.count >= 2 {
                        // Did a later batch's header land while an earlier batch lost a sector?
                        let path = joinPath(dir, WALFormatName.segment(log.currentSegment))
                        if landed.lostSector(of: path, in: inFlight[0].batch.offset..<inFlight[0].batch.end),
                           landed.landedSector(of: path, in: inFlight[1].batch.offset..<(inFlight[1].batch.offset + 512)) {
                            totals.earlierLostLaterLanded += 1
                        }
                    }
                    let back: (records: [[UInt8]], report: WALRecoveryReport)
                    do {
                        back = try Self.replay(dir, disk, options)
                    } catch {
                        Issue.record("seed \(seed): recovery refused after a crash with \(inFlight.count) batches in flight: \(error)")
                        return
                    }
                    if back.report.truncatedTail != nil { totals.torn += 1 }
                    var expected = acknowledged
                    var matched = back.records == expected
                    for flight in inFlight where !matched {
                        expected += flight.records
                        matched = back.records == expected
                    }
                    #expect(matched, "seed \(seed): recovered \(back.records.count) records, acknowledged \(acknowledged.count), in flight \(inFlight.map(\.records.count))")
                    if !matched { return }
                    if back.records.count > acknowledged.count { totals.keptSome += 1 }
                    acknowledged = back.records
                    inFlight = []
                    log = try WriteAheadLog(directory: dir, fileSystem: disk, options: options) { _ in }
                    handle = try log.openSegmentHandle()
                }
            }
        }
        #expect(totals.crashes > 500, "crashes: \(totals.crashes)")
        #expect(totals.inFlightAtCrash > 100, "crashes with two or more batches in flight: \(totals.inFlightAtCrash)")
        #expect(totals.earlierLostLaterLanded > 20, "crashes where a later batch landed but an earlier lost a sector: \(totals.earlierLostLaterLanded)")
        #expect(totals.keptSome > 20 && totals.torn > 50, "kept in-flight batches \(totals.keptSome), torn tails \(totals.torn)")
    }

    /// Writes batches a, b (b while a is in flight), syncs both, then c (after
    /// both were durable), syncs it. Returns the segment's path and the batches.
    static func threeBatches(_ dir: String, _ fs: any FileSystem, options: WALOptions) throws -> (path: String, batches: [WALWrittenBatch], records: [[UInt8]]) {
        var random = SimRandom(seed: 42)
        let log = try WriteAheadLog(directory: dir, fileSystem: fs, options: options) { _ in }
        defer { log.close() }
        let handle = try log.openSegmentHandle()
        defer { handle.close() }
        var records: [[UInt8]] = []
        func batch(_ count: Int) throws -> WALWrittenBatch {
            for _ in 0..<count {
                records.append(Self.record(records.count, &random) + [UInt8](repeating: 7, count: 600))
                try log.append(type: 1, payload: records.last!)
            }
            return try #require(try log.writeBatch())
        }
        let a = try batch(3)
        let b = try batch(3)
        for x in [a, b] {
            try WriteAheadLog.makeDurable(x, through: handle)
            log.batchIsDurable(x)
        }
        let c = try batch(3)
        try WriteAheadLog.makeDurable(c, through: handle)
        log.batchIsDurable(c)
        return (joinPath(dir, "0000000000000001.wal"), [a, b, c], records)
    }

    /// A zeroed sector — what a torn write looks like — in a batch that a
    /// later batch's header shows was durable when that batch was written is
    /// corruption, not a torn tail: acknowledged records are never dropped
    /// quietly. The same zeros in the final batch are a torn tail (the
    /// documented ambiguity), and so are zeros in the earlier of two batches
    /// that were in flight together when nothing was written after them.
    @Test func aTearInABatchKnownDurableIsRefused() throws {
        let options = WALOptions(segmentSize: 64 << 10, preallocate: true)
        for (victim, refused) in [(0, true), (1, true), (2, false)] {
            let scratch = try ScratchDirectory("wal-pipeline-tear")
            let dir = scratch.sub("wal")
            let fs = POSIXFileSystem()
            let (path, batches, records) = try Self.threeBatches(dir, fs, options: options)
            let file = try fs.open(path, create: false)
            try file.write([UInt8](repeating: 0, count: 512), at: batches[victim].offset + 512)
            file.close()
            if refused {
                #expect(throws: StorageError.self, "a zeroed sector in batch \(victim)") { _ = try Self.replay(dir, fs, options) }
                do {
                    _ = try Self.replay(dir, fs, options)
                } catch {
                    guard case let .corrupt(p, offset, _) = error else { Issue.record("\(error)"); continue }
                    #expect(p == path && offset >= batches[victim].offset && offset < batches[victim].end)
                }
            } else {
                let back = try Self.replay(dir, fs, options)
                #expect(back.records == Array(records.prefix(6)))
                #expect(back.report.truncatedTail?.offset == batches[2].offset)
            }
        }
        // Only a and b, both in flight together, nothing after them: zeros in a
        // are a tear, and b — which landed, but was never acknowledged — goes with it.
        let scratch = try ScratchDirectory("wal-pipeline-tear-two")
        let dir = scratch.sub("wal")
        let fs = POSIXFileSystem()
        let (path, batches, records) = try Self.threeBatches(dir, fs, options: options)
        let file = try fs.open(path, create: false)
        try file.write([UInt8](repeating: 0, count: batches[2].end - batches[2].offset), at: batches[2].offset)
        try file.write([UInt8](repeating: 0, count: 512), at: batches[0].offset + 512)
        file.close()
        let back = try Self.replay(dir, fs, options)
        #expect(back.records == Array(records.prefix(0)))
        #expect(back.report.truncatedTail?.offset == batches[0].offset)
        #expect(back.report.truncatedTail?.laterBatchesDropped == 1)
    }

    /// A byte flipped anywhere in a log written with batches in flight is
    /// refused: damage without a blank sector is never a torn write, and a
    /// flipped `unsynced before` field fails its header's checksum.
    @Test func everyFlippedByteOfAPipelinedLogIsDetected() throws {
        let scratch = try ScratchDirectory("wal-pipeline-flip")
        let dir = scratch.sub("wal")
        let fs = POSIXFileSystem()
        let options = WALOptions(segmentSize: 64 << 10, preallocate: false)
        let (path, batches, _) = try Self.threeBatches(dir, fs, options: options)
        let original = try fs.open(path, create: false).readAll()
        #expect(original.count == batches[2].end)
        for offset in stride(from: 0, to: original.count, by: 3) {
            var flipped = original
            flipped[offset] ^= 0x5A
            let file = try fs.open(path, create: false)
            try file.write(flipped, at: 0)
            file.close()
            do {
                let back = try Self.replay(dir, fs, options)
                Issue.record("byte \(offset) flipped, but the log opened with \(back.records.count) records")
            } catch {
                switch error {
                case let .corrupt(p, _, _), let .inconsistent(p, _): #expect(p == path)
                default: Issue.record("byte \(offset): unexpected \(error)")
                }
            }
        }
    }
}

/// The WAL's segment file names (as WALFormat makes them).
enum WALFormatName {
    static func segment(_ sequence: UInt64) -> String {
        let hex = String(sequence, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".wal"
    }
}

/// An in-memory disk whose power loss lands an arbitrary subset of the
/// 512-byte sectors of every write since the last fsync — in any order, so a
/// later write can land while an earlier one does not (a real disk's write
/// cache and the page cache's write-back give no order). An fsync makes every
/// write to the file so far durable. Names are durable at once (the
/// simulator's disk tests those rules; this one is about data).
final class ReorderingDisk: FileSystem {
    final class Inode {
        var data: [UInt8] = []
        var durable: [UInt8] = []
        var pending: [(offset: Int, bytes: [UInt8])?] = [] // nil: a truncation
        var pendingSizes: [Int] = []
    }

    struct Landed {
        var lost: [String: [Int]] = [:]   // sector offsets of unsynced writes that did not land
        var landed: [String: [Int]] = [:] // and that did

        func lostSector(of path: String, in range: Range<Int>) -> Bool { lost[path, default: []].contains { range.contains($0) } }
        func landedSector(of path: String, in range: Range<Int>) -> Bool { landed[path, default: []].contains { range.contains($0) } }
    }

    var inodes: [String: Inode] = [:]
    var directories: Set<String> = ["/"]
    var random: SimRandom

    init(seed: UInt64) { random = SimRandom(seed: seed) }

    func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        if let inode = inodes[path] { return File(disk: self, inode: inode, path: path) }
        guard create else { throw .io(path: path, operation: "open", errno: 2) }
        let inode = Inode()
        inodes[path] = inode
        return File(disk: self, inode: inode, path: path)
    }

    func list(_ directory: String) throws(StorageError) -> [String] {
        inodes.keys.filter { parentDirectory($0) == directory }.map { String($0.dropFirst(directory.count + 1)) }
    }

    func exists(_ path: String) -> Bool { inodes[path] != nil || directories.contains(path) }
    func createDirectory(_ path: String) throws(StorageError) { directories.insert(path) }
    func remove(_ path: String) throws(StorageError) { inodes[path] = nil }
    func rename(_ from: String, to: String) throws(StorageError) {
        inodes[to] = inodes[from]
        inodes[from] = nil
    }
    func syncDirectory(_ directory: String) throws(StorageError) {}

    /// Power loss: every file keeps what was synced plus a random subset of
    /// the sectors written since; its size is the synced size or more.
    func crash() -> Landed {
        var result = Landed()
        for (path, inode) in inodes {
            var data = inode.durable
            for (op, size) in zip(inode.pending, inode.pendingSizes) {
                guard let (offset, bytes) = op else {
                    if random.chance(0.5) { Self.resize(&data, to: size) }
                    continue
                }
                var start = offset
                while start < offset + bytes.count {
                    let end = min(offset + bytes.count, start - start % 512 + 512)
                    if random.chance(0.5) {
                        if data.count < end { data.append(contentsOf: repeatElement(0, count: end - data.count)) }
                        data.replaceSubrange(start..<end, with: bytes[(start - offset)..<(end - offset)])
                        result.landed[path, default: []].append(start)
                    } else {
                        result.lost[path, default: []].append(start)
                    }
                    start = end
                }
                // The size may have reached the write's end (the rest reads as zeros).
                if random.chance(0.5), data.count < offset + bytes.count {
                    data.append(contentsOf: repeatElement(0, count: offset + bytes.count - data.count))
                }
            }
            inode.data = data
            inode.durable = data
            inode.pending = []
            inode.pendingSizes = []
        }
        return result
    }

    static func resize(_ data: inout [UInt8], to size: Int) {
        if size < data.count { data.removeLast(data.count - size) } else { data.append(contentsOf: repeatElement(0, count: size - data.count)) }
    }

    final class File: StorageFile {
        let disk: ReorderingDisk
        let inode: Inode
        let path: String

        init(disk: ReorderingDisk, inode: Inode, path: String) {
            self.disk = disk
            self.inode = inode
            self.path = path
        }

        func size() throws(StorageError) -> Int { inode.data.count }
        func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] {
            guard offset < inode.data.count else { return [] }
            return Array(inode.data[offset..<min(inode.data.count, offset + count)])
        }
        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
            let bytes = Array(bytes)
            if inode.data.count < offset + bytes.count { inode.data.append(contentsOf: repeatElement(0, count: offset + bytes.count - inode.data.count)) }
            inode.data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
            inode.pending.append((offset, bytes))
            inode.pendingSizes.append(inode.data.count)
        }
        func sync() throws(StorageError) {
            inode.durable = inode.data
            inode.pending = []
            inode.pendingSizes = []
        }
        func truncate(to size: Int) throws(StorageError) {
            ReorderingDisk.resize(&inode.data, to: size)
            inode.pending.append(nil)
            inode.pendingSizes.append(size)
        }
        func close() {}
    }
}
