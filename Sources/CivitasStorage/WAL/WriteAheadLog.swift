/// One record of the log: a type byte chosen by the layer above and an opaque payload.
public struct WALRecord: Sendable, Hashable {
    public var type: UInt8
    public var payload: [UInt8]

    public init(type: UInt8, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }
}

public struct WALOptions: Sendable, Hashable {
    /// A new segment starts once the current one reaches this size.
    public var segmentSize: Int
    /// The largest payload accepted (and believed when read back).
    public var maxRecordSize: Int
    /// Write a new segment full of zeros (and fsync it) before using it, as
    /// etcd does. Batches then overwrite allocated blocks without changing the
    /// file's size, so each can be made durable with `fdatasync`, which skips
    /// the file system's journal commit. Costs one segment-sized write per roll.
    public var preallocate: Bool

    public init(segmentSize: Int = 64 << 20, maxRecordSize: Int = 64 << 20, preallocate: Bool = false) {
        self.segmentSize = segmentSize
        self.maxRecordSize = maxRecordSize
        self.preallocate = preallocate
    }
}

/// What opening the log found. A torn tail is reported, never hidden: it holds
/// only bytes whose `sync()` never returned, so nothing acknowledged is in it.
public struct WALRecoveryReport: Sendable, Hashable {
    public var segments = 0
    public var records = 0
    public var bytes = 0
    /// The last segment's unfinished final batch, cut off.
    public var truncatedTail: TruncatedTail? = nil
    /// A segment whose creation a crash interrupted (header never made durable), removed.
    public var removedUnfinishedSegment: String? = nil

    public struct TruncatedTail: Sendable, Hashable {
        public var path: String
        public var offset: Int
        public var droppedBytes: Int
        /// Whole, valid batches after the unfinished one, dropped with it: with
        /// batches in flight (group commit), a later batch can land while the
        /// one before it does not. Each was written before the unfinished batch
        /// was known durable (its header says so), so none was acknowledged.
        public var laterBatchesDropped = 0
    }

    public init() {}
}

/// A batch that `WriteAheadLog.writeBatch()` wrote and that is not yet known
/// durable: make it so with `WriteAheadLog.makeDurable(_:through:)` (from any
/// thread), then report it with `batchIsDurable(_:)`.
public struct WALWrittenBatch: Sendable, Hashable {
    public let segment: UInt64
    /// Where the batch starts in its segment, and where it ends (padding included).
    public let offset: Int
    public let end: Int
    public let records: Int
    /// The batch grew the file past its size as of the last fsync, so it needs
    /// `fsync`; otherwise `fdatasync` is enough.
    public let needsFullSync: Bool
}

/// A segmented, checksummed write-ahead log with group commit.
///
/// `append` only buffers; `sync` writes everything buffered as one batch with
/// one `pwrite` and one `fsync`. A record is acknowledged — may be relied on —
/// only once the `sync` that covers it has returned. Segment files are created
/// with their header fsynced and the directory fsynced; removed segments are
/// followed by a directory fsync too.
///
/// Opening replays every record in order. A crash can leave the batches in
/// flight at the end of the last segment unfinished — with `flush()` only
/// the final one; with `writeBatch()` a later batch may have landed while an
/// earlier one did not. Such a tail is cut off and reported, but only if
/// every batch after the damage says it was written before the damaged one
/// was durable (its header's "unsynced before"). Anything else that does not
/// check out stops the open with `StorageError.corrupt` naming the file and
/// offset. The way out is documented in docs/storage.md:
/// move the data directory aside and rebuild the node from its peers.
///
/// One writer; not thread-safe (the group committer and the node each own one).
public final class WriteAheadLog {
    public let directory: String
    public let options: WALOptions
    public private(set) var report = WALRecoveryReport()

    private let fileSystem: any FileSystem
    private var file: (any StorageFile)?
    /// Sequences of the live segments, oldest first; the last is being written.
    public private(set) var segments: [UInt64] = []
    private var writeOffset = 0
    /// The current segment's size on disk as of its last fsync: batches that
    /// end within it did not grow the file and need only `fdatasync`.
    private var allocatedEnd = 0
    /// The batch being assembled; its first 32 bytes are reserved for the header.
    private var pending: [UInt8]
    private var pendingRecords = 0
    private var failure: StorageError? = nil
    /// Batches and fsyncs issued since open (for metrics and benchmarks).
    public private(set) var batchesWritten = 0
    /// fsyncs of batches since open.
    public private(set) var syncsIssued = 0
    /// Whether the last batch written by `flush()` still awaits its fsync.
    private var unsyncedBatch = false
    /// Batches written by `writeBatch()` and not yet reported durable, in log
    /// order (with whether their sync returned).
    private var inFlight: [(batch: WALWrittenBatch, durable: Bool)] = []
    /// Everything in the current segment before this offset is known durable.
    private var durableEnd = 0
    /// Segments removed since open.
    public private(set) var segmentsRemoved = 0
    /// Set by `scan` when it ends the last segment at a torn batch.
    private var tornTailLaterBatches = 0

    /// Opens (creating if needed) the log in `directory` and replays every
    /// durable record through `replay`, oldest first.
    public init(
        directory: String,
        fileSystem: any FileSystem,
        options: WALOptions = WALOptions(),
        replay: (WALRecord) throws(StorageError) -> Void
    ) throws(StorageError) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.options = options
        pending = [UInt8](repeating: 0, count: WALFormat.batchHeaderSize)
        try fileSystem.createDirectory(directory)
        do {
            try recover(replay: replay)
        } catch {
            throw Self.withWayOut(error)
        }
    }

    static let wayOut = "the log cannot repair acknowledged records itself: stop the node, move the wal directory aside (keep it for diagnosis) and restart; the node rejoins and Raft brings it up to date from its peers (docs/storage.md)"

    /// Damage found while opening names the way out; other errors (I/O) pass unchanged.
    static func withWayOut(_ error: StorageError) -> StorageError {
        switch error {
        case let .corrupt(path, offset, reason): return .corrupt(path: path, offset: offset, reason: reason + "; " + wayOut)
        case let .inconsistent(path, reason): return .inconsistent(path: path, reason: reason + "; " + wayOut)
        default: return error
        }
    }

    deinit { file?.close() }

    public var currentSegment: UInt64 { segments.last ?? 0 }
    /// Records appended but not yet covered by a `sync`.
    public var pendingCount: Int { pendingRecords }
    public var hasFailed: Bool { failure != nil }
    /// Bytes written to the current segment so far (its header included).
    public var currentSegmentBytes: Int { writeOffset }
    /// True once the current segment has reached the configured size.
    public var needsRoll: Bool { writeOffset >= options.segmentSize }

    // MARK: Writing

    public func append(_ record: WALRecord) throws(StorageError) {
        try append(type: record.type, payload: record.payload)
    }

    public func append(type: UInt8, payload: [UInt8]) throws(StorageError) {
        var failure: StorageError?
        payload.withUnsafeBytes { raw in
            do throws(StorageError) { try append(type: type, payload: raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func append(type: UInt8, payload: UnsafeRawBufferPointer) throws(StorageError) {
        if let failure { throw .failed(path: directory, cause: failure.description) }
        guard payload.count <= options.maxRecordSize else {
            throw .invalidArgument("WAL record of \(payload.count) bytes exceeds the limit of \(options.maxRecordSize)")
        }
        let start = pending.count
        let length = UInt32(payload.count)
        pending.append(UInt8(truncatingIfNeeded: length))
        pending.append(UInt8(truncatingIfNeeded: length >> 8))
        pending.append(UInt8(truncatingIfNeeded: length >> 16))
        pending.append(UInt8(truncatingIfNeeded: length >> 24))
        pending.append(type)
        pending.append(contentsOf: payload)
        let crc = pending[start...].withUnsafeBytes { CRC32C.checksum($0) }
        pending.append(UInt8(truncatingIfNeeded: crc))
        pending.append(UInt8(truncatingIfNeeded: crc >> 8))
        pending.append(UInt8(truncatingIfNeeded: crc >> 16))
        pending.append(UInt8(truncatingIfNeeded: crc >> 24))
        pendingRecords += 1
    }

    /// Writes every pending record as one batch and fsyncs it. When this
    /// returns, every record appended so far is durable. After a failure the
    /// log refuses all further writes (an fsync that failed leaves the page
    /// cache in an unknown state; retrying could acknowledge lost data).
    public func sync() throws(StorageError) {
        try flush()
        try syncWrittenBatch()
    }

    private func syncWrittenBatch() throws(StorageError) {
        guard unsyncedBatch || !inFlight.isEmpty else { return }
        guard let file else { throw .failed(path: directory, cause: "log is closed") }
        do {
            if writeOffset <= allocatedEnd {
                try file.syncData()
            } else {
                try file.sync()
                allocatedEnd = writeOffset
            }
        } catch {
            fail(error, cutBackTo: nil)
            throw error
        }
        unsyncedBatch = false
        inFlight.removeAll()
        durableEnd = writeOffset
        syncsIssued += 1
    }

    /// Writes every pending record as one batch without waiting for the disk
    /// (the caller fsyncs later with `sync()`, and acknowledges nothing before).
    /// If an earlier batch is still unsynced it is synced first: at most one
    /// batch is ever in flight, so a crash can tear only the final batch.
    public func flush() throws(StorageError) {
        if let failure { throw .failed(path: directory, cause: failure.description) }
        guard pendingRecords > 0 else { return }
        try syncWrittenBatch()
        try writePending()
        unsyncedBatch = true
    }

    /// Writes every pending record as one batch, like `flush()`, but without
    /// waiting for batches already written this way: several can be in flight,
    /// each made durable by its own fsync, issued from another thread with
    /// `makeDurable(_:through:)` while the next batch is written. The batch's
    /// header records how many bytes before it are not yet known durable, so
    /// that recovery can tell a batch torn by a crash (a later one may have
    /// landed while it did not) from damage to a batch already durable
    /// (docs/storage.md, "Recovery"). Acknowledge a batch's records only once
    /// its own sync and those of every batch before it have returned.
    ///
    /// Nil when nothing is pending. A batch left by `flush()` is synced first.
    public func writeBatch() throws(StorageError) -> WALWrittenBatch? {
        if let failure { throw .failed(path: directory, cause: failure.description) }
        guard pendingRecords > 0 else { return nil }
        if unsyncedBatch { try syncWrittenBatch() }
        let records = pendingRecords
        let offset = writeOffset
        try writePending()
        let batch = WALWrittenBatch(segment: currentSegment, offset: offset, end: writeOffset, records: records,
                                    needsFullSync: writeOffset > allocatedEnd)
        inFlight.append((batch, false))
        return batch
    }

    /// A second handle on the current segment, for a thread that syncs
    /// batches written by `writeBatch()`. Give every syncing thread its own:
    /// Linux reports a write-back error once per open file, to whichever fsync
    /// asks first, so two threads sharing one handle could each believe the
    /// other's failure was not theirs.
    public func openSegmentHandle() throws(StorageError) -> any StorageFile {
        if let failure { throw .failed(path: directory, cause: failure.description) }
        return try fileSystem.open(joinPath(directory, WALFormat.segmentName(currentSegment)), create: false)
    }

    /// Makes `batch` durable through `handle` (a handle from
    /// `openSegmentHandle()` of the batch's segment): `fdatasync`, or `fsync`
    /// when the batch grew the file. Touches no state of the log, so it may run
    /// on another thread while the log writes the next batch.
    public static func makeDurable(_ batch: WALWrittenBatch, through handle: any StorageFile) throws(StorageError) {
        if batch.needsFullSync { try handle.sync() } else { try handle.syncData() }
    }

    /// Records that `makeDurable` returned for `batch`.
    public func batchIsDurable(_ batch: WALWrittenBatch) {
        guard batch.segment == currentSegment, let i = inFlight.firstIndex(where: { $0.batch == batch }) else { return }
        inFlight[i].durable = true
        if batch.needsFullSync { allocatedEnd = max(allocatedEnd, batch.end) }
        syncsIssued += 1
        while let first = inFlight.first, first.durable {
            durableEnd = first.batch.end
            inFlight.removeFirst()
        }
    }

    /// Records that `makeDurable` failed: the log refuses every later write
    /// (the page cache is in an unknown state; see `sync()`).
    public func batchSyncFailed(_ error: StorageError) {
        fail(error, cutBackTo: nil)
    }

    /// Batches written by `writeBatch()` whose sync has not been reported yet.
    public var batchesInFlight: Int { inFlight.count }

    private func writePending() throws(StorageError) {
        guard let file else { throw .failed(path: directory, cause: "log is closed") }
        let bodyLength = pending.count - WALFormat.batchHeaderSize
        WALFormat.writeBatchHeader(into: &pending, bodyLength: bodyLength, recordCount: pendingRecords, segment: currentSegment,
                                   unsyncedBefore: writeOffset - durableEnd)
        let total = WALFormat.aligned(pending.count)
        pending.append(contentsOf: repeatElement(0, count: total - pending.count))
        do {
            try file.write(pending, at: writeOffset)
        } catch {
            fail(error, cutBackTo: writeOffset)
            throw error
        }
        writeOffset += total
        batchesWritten += 1
        pending.removeAll(keepingCapacity: pending.capacity <= 16 << 20)
        pending.append(contentsOf: repeatElement(0, count: WALFormat.batchHeaderSize))
        pendingRecords = 0
    }

    /// Starts a new segment whose first batch is `head` (the layer above puts
    /// its current state there, so older segments can later be removed).
    /// Pending records are synced into the old segment first.
    ///
    /// With `spare`, the path of a file `prepareSpare` made (in this
    /// directory, its name ending in `.tmp`), the new segment is that file:
    /// its header is written and fsynced, then it is renamed into place and
    /// the directory fsynced — no segment-sized write on the caller's path.
    /// A spare that is not the right size is removed and the segment created
    /// as usual.
    public func roll(head: [WALRecord], spare: String? = nil) throws(StorageError) {
        try sync()
        let next = currentSegment + 1
        do {
            // Rolling before the segment is full leaves preallocated zeros
            // after its last batch; recovery reads zeros inside a segment that
            // is not the last as damage, so cut them off (durably) first.
            if let file, writeOffset < allocatedEnd {
                try file.truncate(to: writeOffset)
                try file.sync()
                allocatedEnd = writeOffset
            }
            var newFile: (any StorageFile)? = nil
            if let spare { newFile = try adoptSpare(spare, as: next) }
            if newFile == nil { newFile = try createSegmentFile(next) }
            file?.close()
            file = newFile
        } catch {
            fail(error, cutBackTo: nil)
            throw error
        }
        segments.append(next)
        writeOffset = WALFormat.sector
        durableEnd = writeOffset
        inFlight.removeAll()
        for record in head { try append(record) }
        try sync()
    }

    /// Removes every segment older than `sequence` (never the current one),
    /// then fsyncs the directory.
    public func removeSegments(before sequence: UInt64) throws(StorageError) {
        if let failure { throw .failed(path: directory, cause: failure.description) }
        let doomed = segments.filter { $0 < min(sequence, currentSegment) }
        guard !doomed.isEmpty else { return }
        for s in doomed { try fileSystem.remove(joinPath(directory, WALFormat.segmentName(s))) }
        try fileSystem.syncDirectory(directory)
        segments.removeFirst(doomed.count)
        segmentsRemoved += doomed.count
    }

    public func close() {
        file?.close()
        file = nil
    }

    private func fail(_ error: StorageError, cutBackTo offset: Int?) {
        failure = error
        // Best effort: leave no half-written batch behind. Recovery would cut it
        // off anyway (it was never acknowledged), so a failure here is harmless.
        if let offset, let file { try? file.truncate(to: offset) }
    }

    // MARK: Recovery

    private func recover(replay: (WALRecord) throws(StorageError) -> Void) throws(StorageError) {
        var sequences: [UInt64] = []
        for name in try fileSystem.list(directory) {
            if let s = WALFormat.sequence(fromName: name) {
                sequences.append(s)
            } else if name.hasSuffix(".tmp") {
                try fileSystem.remove(joinPath(directory, name))
            }
        }
        sequences.sort()
        for (a, b) in zip(sequences, sequences.dropFirst()) where b != a + 1 {
            throw .inconsistent(path: directory, reason: "WAL segment \(WALFormat.segmentName(a + 1)) is missing (have \(WALFormat.segmentName(a)) and \(WALFormat.segmentName(b)))")
        }
        var records: [WALRecord] = []
        for (i, sequence) in sequences.enumerated() {
            let isLast = i == sequences.count - 1
            let path = joinPath(directory, WALFormat.segmentName(sequence))
            let segmentFile = try fileSystem.open(path, create: false)
            // A segment ends at most one batch past the segment size; never
            // allocate what a damaged file system claims beyond that.
            let limit = 2 * options.segmentSize + options.maxRecordSize + (1 << 20)
            let size = try segmentFile.size()
            guard size <= limit else {
                segmentFile.close()
                throw .corrupt(path: path, offset: limit, reason: "segment of \(size) bytes is longer than any this log writes (\(limit))")
            }
            let bytes = try segmentFile.read(at: 0, count: size)
            switch WALFormat.checkSegmentHeader(bytes[...]) {
            case let .valid(found):
                guard found == sequence else {
                    segmentFile.close()
                    throw .inconsistent(path: path, reason: "header names segment \(found)")
                }
            case .zero where isLast && bytes.allSatisfy({ $0 == 0 }):
                // Created, but the crash came before its header was durable.
                segmentFile.close()
                try fileSystem.remove(path)
                try fileSystem.syncDirectory(directory)
                report.removedUnfinishedSegment = path
                continue
            case .zero:
                segmentFile.close()
                throw .corrupt(path: path, offset: 0, reason: "segment header is zeroed")
            case let .invalid(why):
                segmentFile.close()
                if isLast && bytes.count < WALFormat.sector && bytes.allSatisfy({ $0 == 0 }) {
                    try fileSystem.remove(path)
                    try fileSystem.syncDirectory(directory)
                    report.removedUnfinishedSegment = path
                    continue
                }
                throw .corrupt(path: path, offset: 0, reason: why)
            }
            let end: Int
            do {
                end = try scan(bytes, path: path, segment: sequence, isLast: isLast, into: &records)
            } catch {
                segmentFile.close()
                throw error
            }
            report.segments += 1
            report.bytes += end
            for record in records { try replay(record) }
            report.records += records.count
            records.removeAll(keepingCapacity: true)
            if isLast {
                if end > bytes.count {
                    try segmentFile.truncate(to: end) // extends with zeros
                    try segmentFile.sync()
                } else if end < bytes.count && !bytes[end...].allSatisfy({ $0 == 0 }) {
                    try segmentFile.truncate(to: end)
                    try segmentFile.sync()
                    report.truncatedTail = .init(path: path, offset: end, droppedBytes: bytes.count - end, laterBatchesDropped: tornTailLaterBatches)
                } else if end < bytes.count {
                    // Zeros after the last batch: preallocated space is kept and written
                    // over next; zeros beyond it (a torn write that only grew the file)
                    // are cut, so a segment never ends in a gap once it is rolled.
                    let keep = options.preallocate ? max(end, min(bytes.count, options.segmentSize)) : end
                    if keep < bytes.count {
                        try segmentFile.truncate(to: keep)
                        try segmentFile.sync()
                    }
                }
                if end > WALFormat.sector {
                    // What was read back may be only in the page cache (a
                    // killed process wrote it and never synced it). Make it
                    // durable before anything is appended: every batch after
                    // it then starts from a durable log (docs/storage.md).
                    try segmentFile.syncData()
                }
                file = segmentFile
                writeOffset = end
                durableEnd = end
                allocatedEnd = try segmentFile.size()
                segments.append(sequence)
            } else {
                segmentFile.close()
                segments.append(sequence)
            }
        }
        if file == nil {
            // Empty directory, or the only segment was an unfinished one.
            if let last = segments.last {
                // The unfinished segment followed `last`, which is complete: append there.
                let path = joinPath(directory, WALFormat.segmentName(last))
                let reopened = try fileSystem.open(path, create: false)
                file = reopened
                writeOffset = try reopened.size()
                allocatedEnd = writeOffset
                durableEnd = writeOffset
            } else {
                try createFirstSegment(sequences.first ?? 1)
            }
        }
    }

    private func createFirstSegment(_ sequence: UInt64) throws(StorageError) {
        file = try createSegmentFile(sequence)
        segments = [sequence]
        writeOffset = WALFormat.sector
        durableEnd = writeOffset
    }

    /// A new segment: header (and zeros up to the segment size when
    /// preallocating), fsync, then fsync of the directory.
    private func createSegmentFile(_ sequence: UInt64) throws(StorageError) -> any StorageFile {
        let path = joinPath(directory, WALFormat.segmentName(sequence))
        let newFile = try fileSystem.open(path, create: true)
        do {
            try newFile.truncate(to: 0)
            try newFile.write(WALFormat.segmentHeader(sequence: sequence), at: 0)
            var end = WALFormat.sector
            if options.preallocate {
                try Self.writeZeros(newFile, from: end, to: options.segmentSize)
                end = max(end, options.segmentSize)
            }
            try newFile.sync()
            try fileSystem.syncDirectory(directory)
            allocatedEnd = end
        } catch {
            newFile.close()
            throw error
        }
        return newFile
    }

    private static func writeZeros(_ file: any StorageFile, from start: Int, to end: Int) throws(StorageError) {
        let chunk = [UInt8](repeating: 0, count: min(1 << 20, max(WALFormat.sector, end - start)))
        var offset = start
        while offset < end {
            let n = min(chunk.count, end - offset)
            try file.write(n == chunk.count ? chunk : Array(chunk[0..<n]), at: offset)
            offset += n
        }
    }

    /// Makes a spare segment for a later `roll(head:spare:)`: `path` (which
    /// must end in `.tmp`, so that opening the log removes a spare a crash
    /// left behind) filled with zeros to the segment size and fsynced. Safe to
    /// call from another thread while the log is written, if the file system
    /// is; it touches no state of any log. The group committer prepares one
    /// in the background so that rolling costs a header, not 64 MiB of zeros.
    public static func prepareSpare(at path: String, fileSystem: any FileSystem, options: WALOptions) throws(StorageError) {
        guard path.hasSuffix(".tmp") else { throw .invalidArgument("a spare WAL segment's name must end in .tmp, not \(path)") }
        let spare = try fileSystem.open(path, create: true)
        defer { spare.close() }
        try spare.truncate(to: 0)
        try writeZeros(spare, from: 0, to: max(WALFormat.sector, options.segmentSize))
        try spare.sync()
    }

    /// Turns a prepared spare into segment `sequence`: header, fsync, rename,
    /// directory fsync (the order `createSegmentFile` keeps). Returns nil,
    /// having removed it, if the spare is not a prepared one.
    private func adoptSpare(_ spare: String, as sequence: UInt64) throws(StorageError) -> (any StorageFile)? {
        guard spare.hasSuffix(".tmp"), parentDirectory(spare) == parentDirectory(joinPath(directory, "segment")) else {
            throw .invalidArgument("a spare WAL segment must be a .tmp file in \(directory), not \(spare)")
        }
        let expected = max(WALFormat.sector, options.segmentSize)
        let candidate = try fileSystem.open(spare, create: false)
        guard try candidate.size() == expected else {
            candidate.close()
            try fileSystem.remove(spare)
            return nil
        }
        do {
            try candidate.write(WALFormat.segmentHeader(sequence: sequence), at: 0)
            try candidate.sync()
        } catch {
            candidate.close()
            throw error
        }
        candidate.close()
        let path = joinPath(directory, WALFormat.segmentName(sequence))
        try fileSystem.rename(spare, to: path)
        try fileSystem.syncDirectory(directory)
        let adopted = try fileSystem.open(path, create: false)
        allocatedEnd = expected
        return adopted
    }

    /// Parses the batches of one segment into `records`; returns the offset
    /// where valid data ends. Throws on corruption; in the last segment an
    /// unfinished final batch ends the scan instead.
    private func scan(_ bytes: [UInt8], path: String, segment: UInt64, isLast: Bool, into records: inout [WALRecord]) throws(StorageError) -> Int {
        var offset = WALFormat.sector
        while offset < bytes.count {
            guard let header = WALFormat.readBatchHeader(bytes, at: offset, segment: segment) else {
                let headerEnd = min(bytes.count, offset + WALFormat.batchHeaderSize)
                let blank = bytes[offset..<headerEnd].allSatisfy { $0 == 0 }
                // A header lies inside one sector, so a crash leaves it whole or
                // unwritten (zeros or missing) — never half-written.
                if isLast && (blank || headerEnd - offset < WALFormat.batchHeaderSize),
                   let later = batchesWrittenBeforeDurable(bytes, torn: offset, searchFrom: offset + WALFormat.sector, segment: segment) {
                    tornTailLaterBatches = later
                    return offset
                }
                throw .corrupt(path: path, offset: offset, reason: blank ? "blank batch header followed by a batch written after it was durable" : "bad batch header")
            }
            let bodyStart = offset + WALFormat.batchHeaderSize
            let bodyEnd = bodyStart + header.bodyLength
            guard header.bodyLength <= max(options.segmentSize, options.maxRecordSize) + header.recordCount * WALFormat.recordOverhead + (64 << 20) else {
                throw .corrupt(path: path, offset: offset, reason: "batch length \(header.bodyLength) is impossible")
            }
            if bodyEnd > bytes.count {
                if isLast { return offset } // the final batch was never finished
                throw .corrupt(path: path, offset: offset, reason: "segment ends inside a batch")
            }
            let batchEnd = min(bytes.count, WALFormat.aligned(bodyEnd))
            let before = records.count
            if let problem = parseRecords(bytes, from: bodyStart, to: bodyEnd, count: header.recordCount, into: &records)
                ?? (bytes[bodyEnd..<batchEnd].allSatisfy({ $0 == 0 }) ? nil : (bodyEnd, "non-zero padding")) {
                records.removeSubrange(before...)
                // A crash may leave sectors of the final batch unwritten (zeros).
                // Only then, and only with nothing valid after it, is it a torn tail.
                if isLast && hasBlankSector(bytes, from: offset, to: batchEnd),
                   let later = batchesWrittenBeforeDurable(bytes, torn: offset, searchFrom: WALFormat.aligned(bodyEnd), segment: segment) {
                    tornTailLaterBatches = later
                    return offset
                }
                throw .corrupt(path: path, offset: problem.0, reason: problem.1)
            }
            offset = WALFormat.aligned(bodyEnd)
            if offset > bytes.count {
                // The final batch is whole but its zero padding was cut short.
                // Its records are intact; recovery restores the padding.
                guard isLast else { throw .corrupt(path: path, offset: bytes.count, reason: "segment ends inside a batch's padding") }
                return offset
            }
        }
        return bytes.count
    }

    private func parseRecords(_ bytes: [UInt8], from start: Int, to end: Int, count: Int, into records: inout [WALRecord]) -> (Int, String)? {
        var at = start
        for n in 0..<count {
            guard end - at >= WALFormat.recordOverhead else { return (at, "batch body ends inside record \(n)") }
            let length = Int(WALFormat.get32(bytes[...], at))
            guard length <= options.maxRecordSize, length <= end - at - WALFormat.recordOverhead else {
                return (at, "record \(n) claims \(length) bytes")
            }
            let crcAt = at + 5 + length
            let expected = WALFormat.get32(bytes[...], crcAt)
            guard bytes[at..<crcAt].withUnsafeBytes({ CRC32C.checksum($0) }) == expected else {
                return (at, "record \(n) checksum mismatch")
            }
            records.append(WALRecord(type: bytes[at + 4], payload: Array(bytes[(at + 5)..<crcAt])))
            at = crcAt + 4
        }
        return at == end ? nil : (at, "batch body has \(end - at) bytes after its last record")
    }

    private func hasBlankSector(_ bytes: [UInt8], from start: Int, to end: Int) -> Bool {
        var s = start
        while s < end {
            let e = min(end, s + WALFormat.sector)
            if bytes[s..<e].allSatisfy({ $0 == 0 }) { return true }
            s += WALFormat.sector
        }
        return false
    }

    /// Whether damage at `torn` in the last segment can be a torn write: every
    /// valid batch after it must have been written while the torn batch was
    /// not yet known durable (its header's `unsyncedBefore` reaches back to
    /// `torn` or before). Returns how many such batches there are, or nil if
    /// any batch after it was written once it was durable — then the damage
    /// is to bytes an fsync had covered, and it is corruption.
    ///
    /// The search goes sector by sector, and skips the body of each valid
    /// batch it finds (its length is covered by its header's checksum), so a
    /// payload that happens to hold a batch header is not read as one.
    private func batchesWrittenBeforeDurable(_ bytes: [UInt8], torn: Int, searchFrom start: Int, segment: UInt64) -> Int? {
        var s = WALFormat.aligned(max(start, torn + WALFormat.sector))
        var later = 0
        while s + WALFormat.batchHeaderSize <= bytes.count {
            guard let header = WALFormat.readBatchHeader(bytes, at: s, segment: segment) else {
                s += WALFormat.sector
                continue
            }
            guard s - header.unsyncedBefore <= torn else { return nil }
            later += 1
            s = WALFormat.aligned(s + WALFormat.batchHeaderSize + header.bodyLength)
        }
        return later
    }
}
