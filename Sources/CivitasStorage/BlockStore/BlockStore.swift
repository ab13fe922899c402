public import CivitasLedger
public import CivitasCodec

/// The node's chain of sealed blocks on disk: append-only segment files, an
/// index by height and by hash, reads that check every checksum.
///
/// Layout (docs/storage.md, "Block store"): `blocks/000000000001.seg`, … each
/// a segment header then block records (`SealedBlock.encoded()`, so bodies of
/// 1 KiB or more are zstd frames) and sync markers; `blocks/index` is a
/// rebuildable cache of where each block is.
///
/// Contract:
/// - One writer, synchronous; every I/O goes through the `FileSystem` given,
///   so the simulator's disk can stand in for the real one.
/// - `append` takes block `height + 1`, linked to the head by its previous
///   hash; the block's certificate is the caller's to check (`ChainVerifier`
///   re-checks whole chains). An appended block is readable at once and
///   durable only after `sync()`; appends are written in one write per sync.
/// - Opening recovers from a crash: a torn final write that was never synced
///   is cut off. Damage to anything that was synced — a bad checksum before a
///   sync marker or inside what the index covers, a gap in heights, a missing
///   segment — stops the open with `StorageError.corrupt` naming the file and
///   offset, and reads report damage the same way. Nothing read from disk is
///   trusted to size an allocation or to skip a check.
/// - After a failed write or sync (a full disk, an I/O error) the store
///   refuses further writes with `StorageError.failed` until it is reopened;
///   the bytes it left behind are a torn tail that reopening cuts off.
public final class BlockStore {
    /// The blocks directory (`DIR/blocks`).
    public let directory: String
    public let options: BlockStoreOptions
    /// What opening found and repaired.
    public let recovery: BlockStoreRecovery

    private let fileSystem: any FileSystem
    private var catalog: BlockCatalog
    /// The segment being appended to (the last one), if any.
    private var active: (file: any StorageFile, number: Int)?
    /// Bytes of the active segment written and synced.
    private var flushedEnd = 0
    /// Records appended but not yet written; they go at `flushedEnd`.
    private var pending: [UInt8] = []
    /// Synced block records follow the active segment's last sync marker.
    private var needsMarker = false
    private var readFiles: [Int: any StorageFile] = [:]
    /// Heights by header hash, built up to the head when `height(of:)` is asked.
    private var heightIndex: [Hash: UInt64] = [:]
    private var heightIndexed = 0
    /// What `blocks/index` on disk covers.
    private var indexed = IndexedState(segments: 0, end: 0, blocks: 0)
    private var failure: String?
    private var closed = false

    /// The number of blocks held (durable or not): the head's height, 0 if empty.
    public var height: UInt64 { catalog.count }
    /// The head block's header hash; nil when empty.
    public var headHash: Hash? { catalog.hashes.last }
    /// The highest height known durable (everything through it was synced).
    public private(set) var syncedHeight: UInt64 = 0

    /// Opens (creating if needed) the store in `directory`, recovering from a crash.
    public init(directory: String, fileSystem: any FileSystem, options: BlockStoreOptions = .init()) throws(StorageError) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.options = try options.validated()
        if options.readOnly {
            guard fileSystem.exists(directory) else { throw .notFound("no block store at \(directory)") }
        } else {
            try fileSystem.createDirectory(directory)
        }
        var opening = BlockStoreOpening(directory: directory, fileSystem: fileSystem, options: self.options)
        try opening.run()
        catalog = opening.catalog
        recovery = opening.recovery
        syncedHeight = catalog.count
        if let covers = opening.indexCovers {
            indexed = IndexedState(segments: covers.segments, end: covers.end, blocks: covers.blocks)
        }
        if let last = catalog.segments.indices.last {
            let file = try fileSystem.open(segmentPath(last), create: false)
            // Records that outlived a crashed process may still sit in the page
            // cache only; make them durable before a marker or the index vouches for them.
            if !options.readOnly && (opening.tailBytes > 0 || opening.recovery.truncated != nil) { try file.sync() }
            active = (file, last)
            flushedEnd = catalog.segments[last].end
            needsMarker = opening.endsWithBlock
        }
        if opening.shouldRewriteIndex { try writeIndex() }
    }

    deinit {
        active?.file.close()
        for file in readFiles.values { file.close() }
    }

    // MARK: Writing

    /// Appends block `height + 1`. It is readable at once and durable after `sync()`.
    public func append(_ block: SealedBlock) throws(StorageError) {
        try checkWritable()
        let h = block.height
        guard h == height + 1 else {
            throw .invalidArgument("block \(h) cannot follow the head at height \(height); the next height is \(height + 1)")
        }
        if let previous = headHash ?? options.genesisHash, block.header.previous != previous {
            throw .invalidArgument("block \(h) names previous \(block.header.previous.hex), but the head is \(previous.hex)")
        }
        let payload = block.encoded()
        guard payload.count <= options.maxRecordBytes else {
            throw .invalidArgument("block \(h) encodes to \(payload.count) bytes, above the record limit \(options.maxRecordBytes)")
        }
        let hash = block.header.hash
        let recordSize = BlockFormat.itemHeaderSize + payload.count
        if let active {
            let holdsBlocks = catalog.locations.last.map { Int($0.segment) == active.number } ?? false
            let full = holdsBlocks && flushedEnd + pending.count + recordSize + BlockFormat.itemHeaderSize > options.segmentSize
            if full { try vouch(sealing: true) }
            if full || catalog.segments[active.number].sealed {
                readFiles[active.number] = active.file
                self.active = nil
                try createSegment(firstHeight: h)
            }
        } else {
            try createSegment(firstHeight: h)
        }
        guard let active else { throw .failed(path: directory, cause: "no active segment") }
        if pending.isEmpty && needsMarker, let head = headHash {
            BlockItemHeader.marker(height: height, hash: head).append(to: &pending)
            needsMarker = false
        }
        let offset = flushedEnd + pending.count
        BlockItemHeader.block(height: h, hash: hash, payload: payload).append(to: &pending)
        pending.append(contentsOf: payload)
        catalog.add(BlockCatalog.Location(offset: offset, length: Int32(payload.count), segment: Int32(active.number)), hash: hash)
        if pending.count >= options.maxPendingBytes { try sync() }
    }

    /// Makes every appended block durable (one write and one fsync), and
    /// rewrites the index when `indexInterval` blocks have been synced since.
    public func sync() throws(StorageError) {
        try checkWritable()
        try flush()
        if syncedHeight - min(indexed.blocks, syncedHeight) >= options.indexInterval { try writeIndex() }
    }

    /// Syncs, ends the active segment with a sync marker (so its last block is
    /// vouched for), writes the index and closes every file.
    public func close() throws(StorageError) {
        guard !closed else { return }
        defer {
            closed = true
            active?.file.close()
            active = nil
            for file in readFiles.values { file.close() }
            readFiles = [:]
        }
        guard failure == nil && !options.readOnly else { return }
        try vouch(sealing: false)
        if !catalog.segments.isEmpty && indexed != IndexedState(segments: catalog.segments.count, end: flushedEnd, blocks: syncedHeight) {
            try writeIndex()
        }
    }

    private struct IndexedState: Equatable {
        var segments: Int
        var end: Int
        var blocks: UInt64
    }

    private func checkWritable() throws(StorageError) {
        if closed { throw .failed(path: directory, cause: "the store is closed") }
        if options.readOnly { throw .failed(path: directory, cause: "the store was opened read-only") }
        if let failure { throw .failed(path: directory, cause: failure) }
    }

    private func fail(_ error: StorageError) -> StorageError {
        if failure == nil { failure = error.description }
        return error
    }

    /// Writes the pending records in one write, then fsyncs.
    private func flush() throws(StorageError) {
        guard !pending.isEmpty, let active else { return }
        do {
            try active.file.write(pending, at: flushedEnd)
            try active.file.sync()
        } catch {
            // Best effort: leave no partial record (reopening would cut it off anyway).
            try? active.file.truncate(to: flushedEnd)
            throw fail(error)
        }
        flushedEnd += pending.count
        pending.removeAll(keepingCapacity: pending.count <= options.maxPendingBytes)
        needsMarker = true
        syncedHeight = height
        catalog.segments[active.number].end = flushedEnd
    }

    /// Flushes, then writes a sync marker after the last block (or, when
    /// `sealing`, the seal that closes the segment for good) and fsyncs.
    private func vouch(sealing: Bool) throws(StorageError) {
        try flush()
        guard needsMarker || sealing, let active, let head = headHash else { return }
        // A segment sealed before a crash (its successor's creation cut short and removed
        // at open) is full and sealed already: a second seal would be an item after the seal.
        if catalog.segments[active.number].sealed { return }
        let marker = (sealing ? BlockItemHeader.seal(height: height, hash: head) : .marker(height: height, hash: head)).encoded()
        do {
            try active.file.write(marker, at: flushedEnd)
            try active.file.sync()
        } catch {
            try? active.file.truncate(to: flushedEnd)
            throw fail(error)
        }
        flushedEnd += marker.count
        needsMarker = false
        catalog.segments[active.number].end = flushedEnd
        catalog.segments[active.number].sealed = sealing
    }

    /// Creates the segment that starts at `firstHeight`: header, fsync, directory fsync.
    private func createSegment(firstHeight: UInt64) throws(StorageError) {
        let path = joinPath(directory, BlockFormat.segmentName(firstHeight: firstHeight))
        let file: any StorageFile
        do {
            file = try fileSystem.open(path, create: true)
        } catch {
            throw fail(error)
        }
        do {
            // A leftover of an interrupted creation would be refused at the next open anyway.
            if try file.size() > 0 { try file.truncate(to: 0) }
            try file.write(BlockSegmentHeader(firstHeight: firstHeight).encoded(), at: 0)
            try file.sync()
            try fileSystem.syncDirectory(directory)
        } catch {
            file.close()
            throw fail(error)
        }
        catalog.segments.append(BlockCatalog.Segment(firstHeight: firstHeight, end: BlockFormat.segmentHeaderSize))
        active = (file, catalog.segments.count - 1)
        flushedEnd = BlockFormat.segmentHeaderSize
        needsMarker = false
    }

    /// Rewrites `blocks/index` to cover everything synced (nothing may be pending).
    private func writeIndex() throws(StorageError) {
        guard pending.isEmpty else { return }
        do {
            try fileSystem.writeAtomically(catalog.indexFile(), to: joinPath(directory, BlockFormat.indexName))
        } catch {
            throw fail(error)
        }
        indexed = IndexedState(segments: catalog.segments.count, end: flushedEnd, blocks: syncedHeight)
    }

    // MARK: Reading

    /// The header hash of the block at `height`.
    public func hash(at height: UInt64) -> Hash? {
        guard height >= 1, height <= self.height else { return nil }
        return catalog.hashes[Int(height - 1)]
    }

    /// The height of the block whose header hash is `hash`.
    public func height(of hash: Hash) -> UInt64? {
        while heightIndexed < catalog.hashes.count {
            heightIndex[catalog.hashes[heightIndexed]] = UInt64(heightIndexed + 1)
            heightIndexed += 1
        }
        return heightIndex[hash]
    }

    /// The stored bytes of the block at `height` (`SealedBlock.encoded()`), checksum verified: what a peer is sent.
    public func encodedBlock(at height: UInt64) throws(StorageError) -> [UInt8]? {
        try checkReadable()
        guard height >= 1, height <= self.height else { return nil }
        return try encodedBlocks(from: height, through: height, maxBytes: 1).first
    }

    /// The block at `height`, checksum verified and decoded.
    public func block(at height: UInt64) throws(StorageError) -> SealedBlock? {
        guard let bytes = try encodedBlock(at: height) else { return nil }
        return try decode(bytes, height: height)
    }

    /// The block whose header hash is `hash`.
    public func block(hash: Hash) throws(StorageError) -> SealedBlock? {
        guard let h = height(of: hash) else { return nil }
        return try block(at: h)
    }

    /// Stored bytes of blocks `from` through `through` (clamped to the head),
    /// in height order, stopping once `maxBytes` have been gathered (at least
    /// one block is returned if any is in range): the catch-up answer to a peer.
    /// Neighbouring records are read together.
    public func encodedBlocks(from: UInt64, through: UInt64, maxBytes: Int = 8 << 20) throws(StorageError) -> [[UInt8]] {
        try checkReadable()
        let first = max(from, 1)
        let last = min(through, height)
        guard first <= last else { return [] }
        var result: [[UInt8]] = []
        var total = 0
        var h = first
        let chunkLimit = max(BlockSegmentReader.windowSize, 4 << 20)
        while h <= last && (result.isEmpty || total < maxBytes) {
            let location = catalog.locations[Int(h - 1)]
            let segment = Int(location.segment)
            if let active, segment == active.number, location.offset >= flushedEnd {
                let start = location.offset - flushedEnd + BlockFormat.itemHeaderSize
                let payload = Array(pending[start..<(start + Int(location.length))])
                total += payload.count
                result.append(payload)
                h += 1
                continue
            }
            // A run of records in one segment, read at once.
            var runLast = h
            var end = location.offset + BlockFormat.itemHeaderSize + Int(location.length)
            var runBytes = Int(location.length)
            while runLast < last, total + runBytes < maxBytes {
                let next = catalog.locations[Int(runLast)]
                let nextEnd = next.offset + BlockFormat.itemHeaderSize + Int(next.length)
                guard Int(next.segment) == segment, nextEnd - location.offset <= chunkLimit,
                      !(active.map { $0.number == segment && next.offset >= flushedEnd } ?? false) else { break }
                runLast += 1
                end = nextEnd
                runBytes += Int(next.length)
            }
            let path = segmentPath(segment)
            let file = try segmentFile(segment)
            let chunk = try file.read(at: location.offset, count: end - location.offset)
            for height in h...runLast {
                let at = catalog.locations[Int(height - 1)]
                let payload = try checkedPayload(chunk, at: at.offset - location.offset, fileOffset: at.offset, height: height, path: path)
                total += payload.count
                result.append(payload)
            }
            h = runLast + 1
        }
        return result
    }

    /// Blocks `from` through `through` (clamped to the head), decoded; see `encodedBlocks`.
    public func blocks(from: UInt64, through: UInt64, maxBytes: Int = 8 << 20) throws(StorageError) -> [SealedBlock] {
        let first = max(from, 1)
        var result: [SealedBlock] = []
        for (i, bytes) in try encodedBlocks(from: first, through: through, maxBytes: maxBytes).enumerated() {
            result.append(try decode(bytes, height: first + UInt64(i)))
        }
        return result
    }

    private func checkReadable() throws(StorageError) {
        if closed { throw .failed(path: directory, cause: "the store is closed") }
    }

    private func segmentPath(_ number: Int) -> String {
        joinPath(directory, BlockFormat.segmentName(firstHeight: catalog.segments[number].firstHeight))
    }

    private func segmentFile(_ number: Int) throws(StorageError) -> any StorageFile {
        if let active, active.number == number { return active.file }
        if let file = readFiles[number] { return file }
        if readFiles.count >= options.openSegmentLimit {
            for file in readFiles.values { file.close() }
            readFiles = [:]
        }
        let file = try fileSystem.open(segmentPath(number), create: false)
        readFiles[number] = file
        return file
    }

    /// The payload of the record at `start` in `chunk`, after checking its header against the index and its checksum.
    private func checkedPayload(_ chunk: [UInt8], at start: Int, fileOffset: Int, height: UInt64, path: String) throws(StorageError) -> [UInt8] {
        let location = catalog.locations[Int(height - 1)]
        let length = Int(location.length)
        guard start >= 0, chunk.count >= start + BlockFormat.itemHeaderSize + length else {
            throw BlockFormat.corrupt(path, fileOffset, "the block record for height \(height) is cut short: the file ends before it does")
        }
        let decoded = chunk.withUnsafeBytes {
            BlockItemHeader.decode(UnsafeRawBufferPointer(rebasing: $0[start..<(start + BlockFormat.itemHeaderSize)]), maxLength: options.maxRecordBytes)
        }
        let header: BlockItemHeader
        switch decoded {
        case let .success(h): header = h
        case let .failure(damage): throw BlockFormat.corrupt(path, fileOffset, "the block record for height \(height): \(damage.reason)")
        }
        guard header.kind == .block, header.height == height, header.length == length, header.hash == catalog.hashes[Int(height - 1)] else {
            throw BlockFormat.corrupt(path, fileOffset, "the record at this offset is not the one the index lists for height \(height)")
        }
        let payloadStart = start + BlockFormat.itemHeaderSize
        let payload = Array(chunk[payloadStart..<(payloadStart + length)])
        guard CRC32C.checksum(payload) == header.payloadCRC else {
            throw BlockFormat.corrupt(path, fileOffset, "the block record for height \(height) fails its payload checksum")
        }
        return payload
    }

    private func decode(_ bytes: [UInt8], height: UInt64) throws(StorageError) -> SealedBlock {
        let location = catalog.locations[Int(height - 1)]
        let path = segmentPath(Int(location.segment))
        let payloadOffset = location.offset + BlockFormat.itemHeaderSize
        let block: SealedBlock
        do {
            block = try SealedBlock(encoded: bytes, limits: options.decodingLimits)
        } catch {
            throw BlockFormat.corrupt(path, payloadOffset + error.offset, "the block at height \(height) passes its checksum but does not decode (\(error))")
        }
        guard block.height == height, block.header.hash == catalog.hashes[Int(height - 1)] else {
            throw BlockFormat.corrupt(path, payloadOffset, "the record for height \(height) holds block \(block.height) with another header hash")
        }
        return block
    }
}
