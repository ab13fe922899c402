import CivitasLedger

/// Reads one segment file front to back, through a window, so that walking
/// the headers of small records costs one system call per window rather than
/// one per record. Every length it is given was bounded by the caller or by
/// the file's size; nothing read from the file sizes an allocation on its own.
struct BlockSegmentReader {
    let path: String
    let file: any StorageFile
    let size: Int
    let maxRecordBytes: Int
    private var windowStart = 0
    private var window: [UInt8] = []
    /// Bytes read from the file so far.
    private(set) var bytesRead = 0

    static let windowSize = 256 << 10

    init(path: String, file: any StorageFile, maxRecordBytes: Int) throws(StorageError) {
        self.path = path
        self.file = file
        self.maxRecordBytes = maxRecordBytes
        size = try file.size()
    }

    /// `count` bytes at `offset`, fewer if the file ends first.
    mutating func bytes(at offset: Int, count: Int) throws(StorageError) -> ArraySlice<UInt8> {
        guard offset >= 0, count > 0, offset < size else { return [] }
        let end = offset + min(count, size - offset)
        if offset >= windowStart && end <= windowStart + window.count {
            return window[(offset - windowStart)..<(end - windowStart)]
        }
        if end - offset >= Self.windowSize {
            let direct = try file.read(at: offset, count: end - offset)
            bytesRead += direct.count
            return direct[...]
        }
        window = try file.read(at: offset, count: min(Self.windowSize, size - offset))
        windowStart = offset
        bytesRead += window.count
        return window[0..<min(end - offset, window.count)]
    }

    /// The segment header, or why the first bytes are not one.
    mutating func segmentHeader() throws(StorageError) -> Result<BlockSegmentHeader, BlockItemDamage> {
        BlockSegmentHeader.decode(try bytes(at: 0, count: BlockFormat.segmentHeaderSize))
    }

    enum Item {
        case end
        case item(BlockItemHeader, payload: ArraySlice<UInt8>?)
        case damaged(BlockItemDamage)
    }

    /// The item at `offset`. With `checkPayload`, a block's payload is read and
    /// checked against its CRC (and returned if `keepPayload`).
    mutating func item(at offset: Int, checkPayload: Bool, keepPayload: Bool) throws(StorageError) -> Item {
        if offset >= size { return .end }
        let headerBytes = try bytes(at: offset, count: BlockFormat.itemHeaderSize)
        guard headerBytes.count == BlockFormat.itemHeaderSize else {
            return .damaged(BlockItemDamage("the file ends \(headerBytes.count) bytes into an item header"))
        }
        let decoded = headerBytes.withUnsafeBytes { BlockItemHeader.decode($0, maxLength: maxRecordBytes) }
        let header: BlockItemHeader
        switch decoded {
        case let .success(h): header = h
        case let .failure(damage): return .damaged(damage)
        }
        if header.kind != .block { return .item(header, payload: nil) }
        let payloadStart = offset + BlockFormat.itemHeaderSize
        guard header.length <= size - payloadStart else {
            return .damaged(BlockItemDamage("the block record for height \(header.height) needs \(header.length) bytes, but the file ends \(size - payloadStart) bytes after its header"))
        }
        guard checkPayload || keepPayload else { return .item(header, payload: nil) }
        let payload = try bytes(at: payloadStart, count: header.length)
        guard payload.count == header.length else {
            return .damaged(BlockItemDamage("the block record for height \(header.height) was cut short while reading"))
        }
        guard CRC32C.checksum(payload) == header.payloadCRC else {
            return .damaged(BlockItemDamage("the block record for height \(header.height) fails its payload checksum"))
        }
        return .item(header, payload: keepPayload ? payload : nil)
    }

    /// Where a walk stands: the next height expected and the last block seen.
    struct Position {
        var offset: Int
        var nextHeight: UInt64
        var lastHash: Hash?
        /// Start of the last valid sync marker passed (everything before it was durable).
        var lastMarker: Int?
        /// True if a block record was the last item passed (so a marker may follow it).
        var endsWithBlock = false
        /// True once the segment's seal was passed: nothing may follow it.
        var sealed = false
    }

    enum Stop {
        case end
        case damaged(offset: Int, BlockItemDamage)
        /// The visitor asked to stop at the item at this offset.
        case stoppedByVisitor(offset: Int)
    }

    /// Walks items from `position.offset`, checking heights and markers, and
    /// calls `visit` with each block record (header, offset, payload if kept).
    mutating func walk(
        _ position: inout Position, checkPayloads: Bool, keepPayloads: Bool,
        visit: (BlockItemHeader, Int, ArraySlice<UInt8>?) -> Bool
    ) throws(StorageError) -> Stop {
        while true {
            let offset = position.offset
            switch try item(at: offset, checkPayload: checkPayloads, keepPayload: keepPayloads) {
            case .end:
                return .end
            case let .damaged(damage):
                return .damaged(offset: offset, damage)
            case let .item(header, payload):
                guard !position.sealed else {
                    return .damaged(offset: offset, BlockItemDamage("an item follows the seal that closed this segment", definite: true))
                }
                switch header.kind {
                case .block:
                    guard header.height == position.nextHeight else {
                        return .damaged(offset: offset, BlockItemDamage(
                            "a block record for height \(header.height) stands where height \(position.nextHeight) belongs", definite: true))
                    }
                    guard visit(header, offset, payload) else { return .stoppedByVisitor(offset: offset) }
                    position.nextHeight += 1
                    position.lastHash = header.hash
                    position.endsWithBlock = true
                case .marker, .seal:
                    guard header.height &+ 1 == position.nextHeight, position.lastHash.map({ $0 == header.hash }) ?? true else {
                        return .damaged(offset: offset, BlockItemDamage(
                            "a sync marker names height \(header.height), but the last block before it is \(position.nextHeight &- 1)", definite: true))
                    }
                    position.lastMarker = offset
                    position.endsWithBlock = false
                    position.sealed = header.kind == .seal
                }
                position.offset = offset + BlockFormat.itemHeaderSize + (header.kind == .block ? header.length : 0)
            }
        }
    }

    /// The offset of the first valid sync marker (or seal) starting after `offset`, if any.
    /// A marker is written only once everything before it is durable, so one
    /// found past damage proves the damaged bytes had been synced.
    mutating func marker(after offset: Int) throws(StorageError) -> Int? {
        let chunk = 1 << 20
        var start = offset + 1
        while start + BlockFormat.itemHeaderSize <= size {
            let bytes = try self.bytes(at: start, count: chunk + BlockFormat.itemHeaderSize - 1)
            if bytes.count < BlockFormat.itemHeaderSize { return nil }
            let found: Int? = bytes.withUnsafeBytes { b in
                var i = 0
                while i + BlockFormat.itemHeaderSize <= b.count {
                    let magic = BlockFormat.u32(b, i)
                    if magic == BlockFormat.markerMagic || magic == BlockFormat.sealMagic,
                       case let .success(h) = BlockItemHeader.decode(UnsafeRawBufferPointer(rebasing: b[i..<(i + BlockFormat.itemHeaderSize)]), maxLength: maxRecordBytes),
                       h.kind != .block {
                        return i
                    }
                    i += 1
                }
                return nil
            }
            if let found { return start + found }
            start += bytes.count - BlockFormat.itemHeaderSize + 1
        }
        return nil
    }
}

/// How damage found while walking a segment is judged.
enum BlockTailVerdict: Equatable {
    /// An unsynced write torn by a crash: drop everything from the damage on.
    case torn
    /// Bytes that had been durable are damaged; the reason says how we know.
    case corrupt(String)

    /// Damage at `offset` is a torn tail only in the last segment, only where
    /// no index and no later sync marker vouch that the bytes had been synced,
    /// and only if it is the kind of damage a torn write can make.
    static func judge(_ damage: BlockItemDamage, at offset: Int, reader: inout BlockSegmentReader,
                      isLastSegment: Bool, vouchedThrough: Int) throws(StorageError) -> BlockTailVerdict {
        if !isLastSegment {
            return .corrupt("\(damage.reason), in a sealed segment (a later segment exists, so this one was synced whole)")
        }
        if damage.definite { return .corrupt(damage.reason) }
        if offset < vouchedThrough {
            return .corrupt("\(damage.reason), in bytes the index records as synced (through offset \(vouchedThrough))")
        }
        if let marker = try reader.marker(after: offset) {
            return .corrupt("\(damage.reason), before a sync marker at offset \(marker) that vouches these bytes were synced")
        }
        return .torn
    }
}
