import CivitasLedger

/// Opening a block store: load the index if it checks out, scan the segments
/// it does not cover (all of them if it does not check out), cut off a torn
/// unsynced tail, and refuse damage to anything that was synced.
struct BlockStoreOpening {
    let directory: String
    let fileSystem: any FileSystem
    let options: BlockStoreOptions

    private(set) var catalog = BlockCatalog()
    private(set) var recovery = BlockStoreRecovery(index: .empty, segments: 0, scannedBlocks: 0)
    /// The last segment ends with block records after its last sync marker.
    private(set) var endsWithBlock = false
    /// What the index file on disk covers once opening is done: (segments, bytes of the last), blocks.
    private(set) var indexCovers: (segments: Int, end: Int, blocks: UInt64)?
    private(set) var shouldRewriteIndex = false
    /// Bytes found past what the index covered (all of them on a rebuild).
    private(set) var tailBytes = 0

    init(directory: String, fileSystem: any FileSystem, options: BlockStoreOptions) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.options = options
    }

    private func path(_ firstHeight: UInt64) -> String {
        joinPath(directory, BlockFormat.segmentName(firstHeight: firstHeight))
    }

    mutating func run() throws(StorageError) {
        let disk = try fileSystem.list(directory).compactMap(BlockFormat.firstHeight(ofSegmentNamed:)).sorted()
        recovery.segments = disk.count
        let indexPath = joinPath(directory, BlockFormat.indexName)
        var loaded: BlockCatalog?
        var rebuildReason: String?
        if fileSystem.exists(indexPath) {
            switch try loadIndex(indexPath, disk: disk) {
            case let .success(c): loaded = c
            case let .failure(damage): rebuildReason = "the index \(damage.reason)"
            }
        } else if !disk.isEmpty {
            rebuildReason = "there is no index file"
        }

        var position = BlockSegmentReader.Position(offset: 0, nextHeight: 1, lastHash: nil)
        var next = 0
        if let loaded {
            catalog = loaded
            recovery.index = .loaded(coveredHeight: loaded.count)
            if let last = loaded.segments.indices.last {
                indexCovers = (loaded.segments.count, loaded.segments[last].end, loaded.count)
                // Resume in the last indexed segment where the index stops. Whether a
                // marker ends what it covers is not recorded: unless the segment is
                // sealed, assume not, so that at worst one marker too many is written.
                let sealed = loaded.segments[last].sealed
                position = .init(offset: loaded.segments[last].end, nextHeight: loaded.count + 1, lastHash: loaded.hashes.last,
                                 endsWithBlock: !sealed && loaded.locations.last.map { Int($0.segment) == last } ?? false,
                                 sealed: sealed)
                next = last
            }
        } else if let rebuildReason {
            recovery.index = .rebuilt(reason: rebuildReason)
            shouldRewriteIndex = true
        }

        while next < disk.count {
            let first = disk[next]
            let path = path(first)
            let isLast = next == disk.count - 1
            let resuming = loaded != nil && next == catalog.segments.count - 1
            let file = try fileSystem.open(path, create: false)
            defer { file.close() }
            var reader = try BlockSegmentReader(path: path, file: file, maxRecordBytes: options.maxRecordBytes)
            if !resuming {
                switch try reader.segmentHeader() {
                case let .failure(damage):
                    // Creating a segment writes its header and fsyncs before any
                    // record goes in; a crash in between leaves at most a header.
                    if isLast && !damage.definite && reader.size <= BlockFormat.segmentHeaderSize {
                        file.close()
                        if !options.readOnly {
                            try fileSystem.remove(path)
                            try fileSystem.syncDirectory(directory)
                        }
                        recovery.removedSegment = path
                        recovery.segments -= 1
                        next += 1
                        continue
                    }
                    throw BlockFormat.corrupt(path, 0, "the segment header: \(damage.reason)")
                case let .success(header):
                    guard header.firstHeight == first else {
                        throw BlockFormat.corrupt(path, 0, "the segment header says it starts at height \(header.firstHeight), its name says \(first)")
                    }
                }
                guard first == position.nextHeight else {
                    if first > position.nextHeight {
                        throw BlockFormat.corrupt(path, 0, "heights \(position.nextHeight)…\(first - 1) are missing before this segment: a segment file was lost")
                    }
                    throw BlockFormat.corrupt(path, 0, "this segment starts at height \(first), but the segments before it hold blocks through \(position.nextHeight - 1)")
                }
                catalog.segments.append(BlockCatalog.Segment(firstHeight: first, end: BlockFormat.segmentHeaderSize))
                position.offset = BlockFormat.segmentHeaderSize
                position.lastMarker = nil
                position.endsWithBlock = false
                position.sealed = false
            }
            let number = catalog.segments.count - 1
            let before = catalog.count
            let startOffset = position.offset
            // Sealed segments are checked header by header (reads check payloads);
            // the tail, where a torn write can be, is checked byte by byte.
            let stop = try reader.walk(&position, checkPayloads: isLast || loaded != nil, keepPayloads: false) { header, offset, _ in
                catalog.add(BlockCatalog.Location(offset: offset, length: Int32(header.length), segment: Int32(number)), hash: header.hash)
                return true
            }
            recovery.scannedBlocks += catalog.count - before
            if case let .damaged(offset, damage) = stop {
                switch try BlockTailVerdict.judge(damage, at: offset, reader: &reader, isLastSegment: isLast, vouchedThrough: 0) {
                case let .corrupt(reason):
                    throw BlockFormat.corrupt(path, offset, reason)
                case .torn:
                    if !options.readOnly {
                        try file.truncate(to: offset)
                        try file.sync()
                    }
                    recovery.truncated = .init(path: path, offset: offset, droppedBytes: reader.size - offset, reason: damage.reason)
                }
            }
            catalog.segments[number].end = position.offset
            catalog.segments[number].sealed = position.sealed
            if !isLast && catalog.locations.last.map({ Int($0.segment) != number }) ?? true {
                throw BlockFormat.corrupt(path, position.offset, "this segment holds no blocks, yet a later segment exists")
            }
            if !isLast && !position.sealed {
                throw BlockFormat.corrupt(path, position.offset, "this segment does not end with its seal, yet a later segment exists: its end is missing")
            }
            if position.offset > startOffset { tailBytes += position.offset - startOffset }
            next += 1
        }
        endsWithBlock = position.endsWithBlock
        if loaded != nil && recovery.scannedBlocks >= options.indexInterval { shouldRewriteIndex = true }
        if options.readOnly { shouldRewriteIndex = false }
    }

    /// The index, if it checks out and agrees with the segment files. Damage
    /// the index proves — a segment it lists is gone or shorter than what it
    /// records as synced — is corruption, not a reason to rebuild.
    private func loadIndex(_ indexPath: String, disk: [UInt64]) throws(StorageError) -> Result<BlockCatalog, BlockItemDamage> {
        let file = try fileSystem.open(indexPath, create: false)
        defer { file.close() }
        let catalog: BlockCatalog
        switch BlockCatalog.decodeIndex(try file.readAll(), maxRecordBytes: options.maxRecordBytes) {
        case let .success(c): catalog = c
        case let .failure(damage): return .failure(damage)
        }
        let onDisk = Set(disk)
        for (i, segment) in catalog.segments.enumerated() where !onDisk.contains(segment.firstHeight) {
            let through = i + 1 < catalog.segments.count ? catalog.segments[i + 1].firstHeight - 1 : catalog.count
            throw BlockFormat.corrupt(path(segment.firstHeight), 0,
                                      "the segment file is missing, but the index lists it as holding synced blocks \(segment.firstHeight)…\(through)")
        }
        guard Array(disk.prefix(catalog.segments.count)) == catalog.segments.map(\.firstHeight) else {
            return .failure(BlockItemDamage("does not match the segment files (a segment appeared among those it lists)"))
        }
        for segment in catalog.segments {
            let path = path(segment.firstHeight)
            let file = try fileSystem.open(path, create: false)
            defer { file.close() }
            var reader = try BlockSegmentReader(path: path, file: file, maxRecordBytes: options.maxRecordBytes)
            guard reader.size >= segment.end else {
                throw BlockFormat.corrupt(path, reader.size, "the file holds \(reader.size) bytes, but the index records \(segment.end) bytes of it as synced: synced blocks are gone")
            }
            switch try reader.segmentHeader() {
            case let .failure(damage):
                throw BlockFormat.corrupt(path, 0, "the segment header: \(damage.reason)")
            case let .success(header) where header.firstHeight != segment.firstHeight:
                throw BlockFormat.corrupt(path, 0, "the segment header says it starts at height \(header.firstHeight), its name says \(segment.firstHeight)")
            case .success:
                break
            }
        }
        return .success(catalog)
    }
}
