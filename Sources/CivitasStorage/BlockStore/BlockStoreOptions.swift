public import CivitasCodec
public import CivitasLedger

/// Settings of a `BlockStore`, with the reason for each default.
public struct BlockStoreOptions: Sendable, Equatable {
    /// A segment is closed and a new one begun once the next record would take
    /// it past this many bytes (a record larger than this gets a segment of its
    /// own). 64 MiB keeps the file count low (a million 2 KB blocks is about 30
    /// files) while a damaged segment stays a small part of the chain.
    public var segmentSize: Int
    /// `sync()` rewrites `blocks/index` once this many blocks have been synced
    /// since the last rewrite (and `close()` always does). Opening scans only
    /// the records after the index, so this bounds the scan; the index costs
    /// 48 bytes per block to rewrite.
    public var indexInterval: UInt64
    /// Appended records are held in memory and written in one write at
    /// `sync()`; past this many bytes `append` syncs by itself.
    public var maxPendingBytes: Int
    /// The largest block record accepted, written or read: a length read from
    /// disk above it is damage, never an allocation. A sealed block's body is
    /// at most 16 MiB decompressed (`DecodingLimits.default`), its frame less.
    public var maxRecordBytes: Int
    /// When set, block 1 must name this genesis hash as its previous hash.
    public var genesisHash: Hash?
    /// Limits for decoding stored blocks (as for blocks from the network).
    public var decodingLimits: DecodingLimits
    /// Segment files kept open for reading at once.
    public var openSegmentLimit: Int
    /// Open without writing anything, ever — for tools that read a node's
    /// store (perhaps while the node runs): a torn tail is left in place and
    /// only reported, a missing or damaged index is rebuilt in memory only,
    /// and `append`, `sync` refuse with `StorageError.failed`.
    public var readOnly: Bool

    public init(segmentSize: Int = 64 << 20, indexInterval: UInt64 = 8_192, maxPendingBytes: Int = 4 << 20,
                maxRecordBytes: Int = 32 << 20, genesisHash: Hash? = nil, decodingLimits: DecodingLimits = .default,
                openSegmentLimit: Int = 16, readOnly: Bool = false) {
        self.segmentSize = segmentSize
        self.indexInterval = indexInterval
        self.maxPendingBytes = maxPendingBytes
        self.maxRecordBytes = maxRecordBytes
        self.genesisHash = genesisHash
        self.decodingLimits = decodingLimits
        self.openSegmentLimit = openSegmentLimit
        self.readOnly = readOnly
    }

    func validated() throws(StorageError) -> BlockStoreOptions {
        guard segmentSize >= 1 << 10, segmentSize <= 1 << 32 else {
            throw .invalidArgument("segment size \(segmentSize) is outside 1 KiB…4 GiB")
        }
        guard maxRecordBytes >= 1 << 10, maxRecordBytes <= Int(Int32.max) else {
            throw .invalidArgument("record limit \(maxRecordBytes) is outside 1 KiB…2 GiB")
        }
        guard indexInterval >= 1, maxPendingBytes >= 0, openSegmentLimit >= 1 else {
            throw .invalidArgument("index interval and open segment limit must be at least 1, pending bytes at least 0")
        }
        return self
    }
}

/// What opening a block store found and did. A clean open of a cleanly
/// closed store loads the index and reads only the segment tail after it.
public struct BlockStoreRecovery: Sendable, Hashable, CustomStringConvertible {
    /// How the index by height and hash was obtained.
    public enum Index: Sendable, Hashable {
        /// There were no blocks and no index.
        case empty
        /// Loaded from `blocks/index`, which covered heights 1 through `coveredHeight`.
        case loaded(coveredHeight: UInt64)
        /// Rebuilt by scanning every segment, because of `reason` (missing, failed its checksum, stale…).
        case rebuilt(reason: String)
    }

    public var index: Index
    /// Segment files found.
    public var segments: Int
    /// Block records read from segments while opening (the tail after the index, or all on a rebuild).
    public var scannedBlocks: UInt64
    /// A torn final write, never synced, that opening cut off (read-only: ignored, left in place).
    public var truncated: TornTail?
    /// A last segment whose creation a crash interrupted (it held no blocks) and that opening removed (read-only: ignored).
    public var removedSegment: String?

    /// An unsynced tail cut off by recovery.
    public struct TornTail: Sendable, Hashable {
        public var path: String
        public var offset: Int
        public var droppedBytes: Int
        public var reason: String
    }

    /// True if nothing needed repair and the index was loaded (or not needed).
    public var isClean: Bool {
        if case .rebuilt = index { return false }
        return truncated == nil && removedSegment == nil
    }

    public var description: String {
        var parts: [String] = []
        switch index {
        case .empty: parts.append("empty store")
        case let .loaded(covered): parts.append("index loaded (heights 1…\(covered))")
        case let .rebuilt(reason): parts.append("index rebuilt: \(reason)")
        }
        parts.append("\(segments) segments, \(scannedBlocks) block records scanned")
        if let t = truncated { parts.append("cut off a torn unsynced tail of \(t.droppedBytes) bytes at \(t.path) offset \(t.offset) (\(t.reason))") }
        if let r = removedSegment { parts.append("removed \(r), a segment whose creation was interrupted") }
        return parts.joined(separator: "; ")
    }
}
