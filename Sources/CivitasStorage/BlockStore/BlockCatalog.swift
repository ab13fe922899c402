import CivitasLedger

/// Where every block is: the in-memory index by height and by hash, and the
/// segment table. `blocks/index` is this, written to disk as a cache.
struct BlockCatalog: Equatable {
    struct Segment: Equatable {
        var firstHeight: UInt64
        /// Bytes from the start of the file that are known valid and synced.
        var end: Int
        /// The segment ends with its seal: nothing more may be written to it.
        var sealed = false
    }

    /// A block record's place; its payload starts `itemHeaderSize` bytes after `offset`.
    struct Location: Equatable {
        var offset: Int
        var length: Int32
        var segment: Int32
    }

    var segments: [Segment] = []
    /// Indexed by height - 1.
    var locations: [Location] = []
    /// Header hashes, indexed by height - 1. (The index by hash is the
    /// store's, built when first asked: the node never asks, and it cost
    /// every node ~64 bytes per block.)
    var hashes: [Hash] = []

    var count: UInt64 { UInt64(locations.count) }

    mutating func add(_ location: Location, hash: Hash) {
        locations.append(location)
        hashes.append(hash)
    }

    // MARK: The index file

    /// Index file layout (little-endian):
    ///
    ///     magic "CVBI" u32 | version u32 | segment count u32 | reserved u32 (0) | block count u64
    ///     per segment: first height u64 | synced length u64 | flags u64 (bit 0: sealed; every segment but the last is)
    ///     per block (height 1, 2, …): record offset u64 | payload length u32 | segment number u32 | header hash [32]
    ///     CRC32C of everything before u32
    static let indexHeaderSize = 24
    static let indexSegmentSize = 24
    static let indexEntrySize = 48

    func indexFile() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.indexHeaderSize + segments.count * Self.indexSegmentSize + locations.count * Self.indexEntrySize + 4)
        BlockFormat.append(BlockFormat.indexMagic, to: &bytes)
        BlockFormat.append(BlockFormat.version, to: &bytes)
        BlockFormat.append(UInt32(segments.count), to: &bytes)
        BlockFormat.append(UInt32(0), to: &bytes)
        BlockFormat.append(UInt64(locations.count), to: &bytes)
        for s in segments {
            BlockFormat.append(s.firstHeight, to: &bytes)
            BlockFormat.append(UInt64(s.end), to: &bytes)
            BlockFormat.append(UInt64(s.sealed ? 1 : 0), to: &bytes)
        }
        for (location, hash) in zip(locations, hashes) {
            BlockFormat.append(UInt64(location.offset), to: &bytes)
            BlockFormat.append(UInt32(location.length), to: &bytes)
            BlockFormat.append(UInt32(location.segment), to: &bytes)
            BlockFormat.append(hash, to: &bytes)
        }
        BlockFormat.append(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }

    /// Decodes an index file and checks that it describes a possible store;
    /// the failure says why it cannot be used (the caller rebuilds it).
    static func decodeIndex(_ bytes: [UInt8], maxRecordBytes: Int) -> Result<BlockCatalog, BlockItemDamage> {
        bytes.withUnsafeBytes { b -> Result<BlockCatalog, BlockItemDamage> in
            guard b.count >= indexHeaderSize + 4 else { return .failure(BlockItemDamage("is cut short (\(b.count) bytes)")) }
            let body = UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 4)])
            guard CRC32C.checksum(body) == BlockFormat.u32(b, b.count - 4) else { return .failure(BlockItemDamage("fails its checksum")) }
            guard BlockFormat.u32(b, 0) == BlockFormat.indexMagic else { return .failure(BlockItemDamage("is not a block index (bad magic)")) }
            guard BlockFormat.u32(b, 4) == BlockFormat.version else { return .failure(BlockItemDamage("has format version \(BlockFormat.u32(b, 4))")) }
            guard BlockFormat.u32(b, 12) == 0 else { return .failure(BlockItemDamage("has a non-zero reserved field")) }
            let segmentCount = Int(BlockFormat.u32(b, 8))
            let blockCount64 = BlockFormat.u64(b, 16)
            // Sizes are checked against the file before anything is allocated.
            let room = UInt64(b.count - indexHeaderSize - 4)
            let segmentBytes = UInt64(segmentCount) * UInt64(indexSegmentSize)
            guard segmentBytes <= room, blockCount64 <= (room - segmentBytes) / UInt64(indexEntrySize),
                  segmentBytes + blockCount64 * UInt64(indexEntrySize) == room else {
                return .failure(BlockItemDamage("says \(segmentCount) segments and \(blockCount64) blocks, which does not match its size"))
            }
            let blockCount = Int(blockCount64)
            var catalog = BlockCatalog()
            catalog.segments.reserveCapacity(segmentCount)
            var at = indexHeaderSize
            for i in 0..<segmentCount {
                let first = BlockFormat.u64(b, at)
                let end = BlockFormat.u64(b, at + 8)
                let flags = BlockFormat.u64(b, at + 16)
                at += indexSegmentSize
                guard first >= 1, i == 0 ? first == 1 : first > catalog.segments[i - 1].firstHeight,
                      end >= UInt64(BlockFormat.segmentHeaderSize), end <= UInt64(Int.max / 2),
                      flags == 1 || (flags == 0 && i == segmentCount - 1) else {
                    return .failure(BlockItemDamage("has an impossible entry for segment #\(i)"))
                }
                catalog.segments.append(Segment(firstHeight: first, end: Int(end), sealed: flags == 1))
            }
            catalog.locations.reserveCapacity(blockCount)
            catalog.hashes.reserveCapacity(blockCount)
            var seen = Set<Hash>(minimumCapacity: blockCount)
            var segment = -1
            var previousEnd = 0
            for i in 0..<blockCount {
                let height = UInt64(i + 1)
                let offset = BlockFormat.u64(b, at)
                let length = Int(BlockFormat.u32(b, at + 8))
                let s = Int(BlockFormat.u32(b, at + 12))
                let hash = BlockFormat.hash(b, at + 16)
                at += indexEntrySize
                if s != segment {
                    guard s == segment + 1, s < segmentCount, catalog.segments[s].firstHeight == height else {
                        return .failure(BlockItemDamage("places height \(height) in segment #\(s), which does not start there"))
                    }
                    segment = s
                    previousEnd = BlockFormat.segmentHeaderSize
                }
                guard length >= 1, length <= maxRecordBytes, offset >= UInt64(previousEnd),
                      offset <= UInt64(catalog.segments[s].end),
                      Int(offset) + BlockFormat.itemHeaderSize + length <= catalog.segments[s].end else {
                    return .failure(BlockItemDamage("has an impossible place for height \(height)"))
                }
                previousEnd = Int(offset) + BlockFormat.itemHeaderSize + length
                guard seen.insert(hash).inserted else {
                    return .failure(BlockItemDamage("lists one hash at two heights"))
                }
                catalog.locations.append(Location(offset: Int(offset), length: Int32(length), segment: Int32(s)))
                catalog.hashes.append(hash)
            }
            // Every segment holds blocks except possibly the last, which then starts right after them.
            let holding = segment + 1
            guard segmentCount == holding || (segmentCount == holding + 1 && catalog.segments[holding].firstHeight == UInt64(blockCount + 1)) else {
                return .failure(BlockItemDamage("lists segments that hold no blocks"))
            }
            return .success(catalog)
        }
    }
}
